set terminal svg size 720,440 dynamic font 'Helvetica,13' background rgb 'white'
set output 'relax.toy-log-variance-t0499.svg.tmp'
set title "Toy t = 0.499: log Var(g) of each estimator along training (exact, mean over seeds)"
set xlabel "step"
set ylabel "log variance"
set key outside right top box
set grid
set datafile missing 'nan'
plot 'relax.toy-log-variance-t0499.dat' index 0 using 1:2 with lines lw 2 title "REINFORCE", \
     'relax.toy-log-variance-t0499.dat' index 1 using 1:2 with lines lw 2 title "REBAR", \
     'relax.toy-log-variance-t0499.dat' index 2 using 1:2 with lines lw 2 title "RELAX"
set output
