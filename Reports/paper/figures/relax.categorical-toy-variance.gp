set terminal svg size 820,560 dynamic font 'Helvetica,13' background rgb 'white'
set output 'relax.categorical-toy-variance.svg.tmp'
set title "Toy K = 3, t = (0.499, 0.5, 0.501), theta = 0: exact tr Var(g) while the surrogate trains"
set xlabel "surrogate training step (Adam lr 0.01 on Eq. 14)"
set ylabel "tr Var(g) (quadrature over the noise)"
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
set logscale y
plot 'relax.categorical-toy-variance.dat' index 0 using 1:2 with lines lw 2 title "REINFORCE", \
     'relax.categorical-toy-variance.dat' index 1 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "RELAX", \
     'relax.categorical-toy-variance.dat' index 2 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "RELAX, surrogate ascending the variance (mutant)", \
     'relax.categorical-toy-variance.dat' index 3 using 1:2 with lines lw 2 title "squared exact gradient |g*|^2 (the signal)"
set output
