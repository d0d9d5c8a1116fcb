set terminal svg size 820,560 dynamic font 'Helvetica,13' background rgb 'white'
set output 'lecture.control-variates-variance-vs-scale.svg.tmp'
set title "Var(g - a(c - E c)) against the scale a"
set xlabel "scale a (a = -1 is the negated control -c at a = 1)"
set ylabel "variance of the estimator"
set key below box maxrows 4
# A colour-blind-safe cycle (Okabe-Ito), with no pale yellow that vanishes on white.
set linetype 1 lc rgb '#0072B2'
set linetype 2 lc rgb '#D55E00'
set linetype 3 lc rgb '#009E73'
set linetype 4 lc rgb '#CC79A7'
set linetype 5 lc rgb '#E69F00'
set linetype 6 lc rgb '#56B4E9'
set linetype 7 lc rgb '#000000'
set linetype 8 lc rgb '#999999'
set linetype cycle 8
set grid
set datafile missing 'nan'
plot 'lecture.control-variates-variance-vs-scale.dat' index 0 using 1:2 with lines lw 2 title "exact (quadrature)", \
     'lecture.control-variates-variance-vs-scale.dat' index 1 using 1:2 with points pt 7 ps 0.9 title "Monte Carlo at a = 0, 1, a*, -1", \
     'lecture.control-variates-variance-vs-scale.dat' index 2 using 1:2 with lines lw 2 title "(1 - ρ²) Var(g)"
set output
