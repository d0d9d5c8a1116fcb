set terminal svg size 820,560 dynamic font 'Helvetica,13' background rgb 'white'
set output 'relax.relaxation-direction-direction.svg.tmp'
set title "d/da c(z(u)) at theta = 1/2 (> 0: toward lower loss)"
set xlabel "u"
set ylabel "d/da c(z(u))"
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
plot 'relax.relaxation-direction-direction.dat' index 0 using 1:2 with lines lw 2 title "REBAR seed 0 at step 30, lambda = 0.549", \
     'relax.relaxation-direction-direction.dat' index 1 using 1:2 with lines lw 2 title "RELAX seed 0, step 30", \
     'relax.relaxation-direction-direction.dat' index 2 using 1:2 with lines lw 2 title "RELAX seed 0, step 10000", \
     'relax.relaxation-direction-direction.dat' index 3 using 1:2 with lines lw 2 title "RELAX seed 1, step 30", \
     'relax.relaxation-direction-direction.dat' index 4 using 1:2 with lines lw 2 title "RELAX seed 1, step 10000", \
     'relax.relaxation-direction-direction.dat' index 5 using 1:2 with lines lw 2 title "RELAX seed 2, step 30", \
     'relax.relaxation-direction-direction.dat' index 6 using 1:2 with lines lw 2 title "RELAX seed 2, step 10000", \
     'relax.relaxation-direction-direction.dat' index 7 using 1:2 with lines lw 2 title "zero"
set output
