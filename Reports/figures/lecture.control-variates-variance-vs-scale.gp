set terminal svg size 720,440 dynamic font 'Helvetica,13' background rgb 'white'
set output 'lecture.control-variates-variance-vs-scale.svg.tmp'
set title "Var(g - a(c - E c)) against the scale a"
set xlabel "scale a (a = -1 is the negated control -c at a = 1)"
set ylabel "variance of the estimator"
set key outside right top box
set grid
set datafile missing 'nan'
plot 'lecture.control-variates-variance-vs-scale.dat' index 0 using 1:2 with lines lw 2 title "exact (quadrature)", \
     'lecture.control-variates-variance-vs-scale.dat' index 1 using 1:2 with points pt 7 ps 0.5 title "Monte Carlo at a = 0, 1, a*, -1", \
     'lecture.control-variates-variance-vs-scale.dat' index 2 using 1:2 with lines lw 2 title "(1 - ρ²) Var(g)"
set output
