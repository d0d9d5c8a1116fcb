set terminal svg size 720,440 dynamic font 'Helvetica,13' background rgb 'white'
set output 'bpq.theorem1-exact-bias.svg.tmp'
set title "Theorem 1 on random SCGs: exact max |E[g] - ∇J| per graph"
set xlabel "random SCG (sorted by the mutant's bias)"
set ylabel "max over parameters of |E[g] - ∇J|"
set key outside right top box
set grid
set datafile missing 'nan'
set logscale y
plot 'bpq.theorem1-exact-bias.dat' index 0 using 1:2 with points pt 7 ps 0.5 title "Eq. 1, frontier scope", \
     'bpq.theorem1-exact-bias.dat' index 1 using 1:2 with points pt 7 ps 0.5 title "mutant: scope {X}"
set output
