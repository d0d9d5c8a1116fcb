set terminal svg size 820,560 dynamic font 'Helvetica,13' background rgb 'white'
set output 'hnca.theorem1-variance-ratio.svg.tmp'
set title "Distribution of the exact Var(HNCA) / Var(REINFORCE) per hidden parameter"
set xlabel "Var(HNCA) / Var(REINFORCE) (log scale)"
set ylabel "fraction of parameters ≤ x"
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
plot 'hnca.theorem1-variance-ratio.dat' index 0 using 1:2 with steps lw 2 title "0/1 units, last layer (softmax child)", \
     'hnca.theorem1-variance-ratio.dat' index 1 using 1:2 with steps lw 2 title "0/1 units, earlier layers", \
     'hnca.theorem1-variance-ratio.dat' index 2 using 1:2 with steps lw 2 title "±1 units, last layer (softmax child)", \
     'hnca.theorem1-variance-ratio.dat' index 3 using 1:2 with steps lw 2 title "±1 units, earlier layers", \
     'hnca.theorem1-variance-ratio.dat' index 4 using 1:2 with steps lw 2 title "mutant: realised normaliser", \
     'hnca.theorem1-variance-ratio.dat' index 5 using 1:2 with steps lw 2 title "f-HNCA components (App. H)", \
     'hnca.theorem1-variance-ratio.dat' index 6 using 1:2 with lines lw 2 title "ratio = 1 (the bound)"
set output
