set terminal svg size 820,560 dynamic font 'Helvetica,13' background rgb 'white'
set output 'bpq.theorem1-exact-bias.svg.tmp'
set title "Theorem 1 on random SCGs: exact max |E[g] - ∇J| per graph"
set xlabel "random SCG (sorted by the mutant's bias)"
set ylabel "max over parameters of |E[g] - ∇J|"
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
plot 'bpq.theorem1-exact-bias.dat' index 0 using 1:2 with points pt 7 ps 0.9 title "Eq. 1, frontier scope", \
     'bpq.theorem1-exact-bias.dat' index 1 using 1:2 with points pt 7 ps 0.9 title "mutant: scope {X}"
set output
