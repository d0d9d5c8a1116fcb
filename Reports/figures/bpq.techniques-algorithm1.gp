set terminal svg size 820,560 dynamic font 'Helvetica,13' background rgb 'white'
set output 'bpq.techniques-algorithm1.svg.tmp'
set title "Algorithm 1 on Figure 7: exact J during training (mean over seeds)"
set xlabel "iteration"
set ylabel "J = E[f1 + f2]"
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
plot 'bpq.techniques-algorithm1.dat' index 0 using 1:2 with lines lw 2 title "REINFORCE (total cost)", \
     'bpq.techniques-algorithm1.dat' index 1 using 1:2 with lines lw 2 title "BPQ, learned Q", \
     'bpq.techniques-algorithm1.dat' index 2 using 1:2 with lines lw 2 title "BPQ, learned advantage", \
     'bpq.techniques-algorithm1.dat' index 3 using 1:2 with lines lw 2 title "mutant: BPQ, learned advantage, step uphill"
set output
