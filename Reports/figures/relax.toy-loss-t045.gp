set terminal svg size 720,440 dynamic font 'Helvetica,13' background rgb 'white'
set output 'relax.toy-loss-t045.svg.tmp'
set title "Toy t = 0.45: exact loss along training (mean over seeds)"
set xlabel "step"
set ylabel "loss"
set key outside right top box
set grid
set datafile missing 'nan'
plot 'relax.toy-loss-t045.dat' index 0 using 1:2 with lines lw 2 title "REINFORCE", \
     'relax.toy-loss-t045.dat' index 1 using 1:2 with lines lw 2 title "REBAR", \
     'relax.toy-loss-t045.dat' index 2 using 1:2 with lines lw 2 title "RELAX", \
     'relax.toy-loss-t045.dat' index 3 using 1:2 with lines lw 2 title "optimum (theta = 0)"
set output
