set terminal svg size 720,440 dynamic font 'Helvetica,13' background rgb 'white'
set output 'bpq.merging-td-merged.svg.tmp'
set title "Tabular TD: merged vs separate Backprop-Q networks"
set xlabel "forward passes"
set ylabel "relative squared error Σ E[(Q\\_w - Q)^2] / Σ E[Q^2]"
set key outside right top box
set grid
set datafile missing 'nan'
set logscale x
set logscale y
plot 'bpq.merging-td-merged.dat' index 0 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "merged (chain trees)", \
     'bpq.merging-td-merged.dat' index 1 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "separate per cost", \
     'bpq.merging-td-merged.dat' index 2 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "mutant: unmatched merge"
set output
