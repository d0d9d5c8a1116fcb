set terminal svg size 720,440 dynamic font 'Helvetica,13' background rgb 'white'
set output 'bpq.td-td-convergence.svg.tmp'
set title "Tabular graph TD (step 1/n): relative squared error"
set xlabel "forward passes N"
set ylabel "Σ E[(Q\\_w - Q)^2] / Σ E[Q^2]"
set key outside right top box
set grid
set datafile missing 'nan'
set logscale x
set logscale y
plot 'bpq.td-td-convergence.dat' index 0 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "graph TD", \
     'bpq.td-td-convergence.dat' index 1 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "mutant: source summed", \
     'bpq.td-td-convergence.dat' index 2 using 1:2 with lines lw 2 title "slope -1"
set output
