set terminal svg size 820,560 dynamic font 'Helvetica,13' background rgb 'white'
set output 'bpq.td-td-convergence.svg.tmp'
set title "Tabular graph TD (step 1/n): relative squared error"
set xlabel "forward passes N"
set ylabel "Σ E[(Q\\_w - Q)^2] / Σ E[Q^2]"
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
set logscale y
plot 'bpq.td-td-convergence.dat' index 0 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "graph TD", \
     'bpq.td-td-convergence.dat' index 1 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "mutant: source summed", \
     'bpq.td-td-convergence.dat' index 2 using 1:2 with lines lw 2 title "slope -1"
set output
