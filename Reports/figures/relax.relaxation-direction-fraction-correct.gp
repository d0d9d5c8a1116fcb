set terminal svg size 820,560 dynamic font 'Helvetica,13' background rgb 'white'
set output 'relax.relaxation-direction-fraction-correct.svg.tmp'
set title "Fraction of seeds correct at every u, along training"
set xlabel "step"
set ylabel "fraction of seeds"
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
set logscale x
plot 'relax.relaxation-direction-fraction-correct.dat' index 0 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "RELAX, theta held at 1/2", \
     'relax.relaxation-direction-fraction-correct.dat' index 1 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "RELAX, theta trained", \
     'relax.relaxation-direction-fraction-correct.dat' index 2 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "REBAR, theta held at 1/2", \
     'relax.relaxation-direction-fraction-correct.dat' index 3 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "REBAR, theta trained", \
     'relax.relaxation-direction-fraction-correct.dat' index 4 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "RELAX variance ascent (mutant), held", \
     'relax.relaxation-direction-fraction-correct.dat' index 5 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "RELAX surrogate never updated (mutant), held", \
     'relax.relaxation-direction-fraction-correct.dat' index 6 using 1:2:3:4 with yerrorlines title "authors' released code, 30 seeds (range)"
set output
