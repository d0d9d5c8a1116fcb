set terminal svg size 720,440 dynamic font 'Helvetica,13' background rgb 'white'
set output 'bpq.techniques-learning-curves.svg.tmp'
set title "Learning Q-functions on graphs: relative squared error vs forward passes"
set xlabel "forward passes"
set ylabel "Σ E[(Q\\_w - Q)^2] / Σ E[Q^2]"
set key outside right top box
set grid
set datafile missing 'nan'
set logscale x
set logscale y
plot 'bpq.techniques-learning-curves.dat' index 0 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "TD", \
     'bpq.techniques-learning-curves.dat' index 1 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "TD(λ=0.5)", \
     'bpq.techniques-learning-curves.dat' index 2 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "replay (Eq. 15)", \
     'bpq.techniques-learning-curves.dat' index 3 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "slow-tracking target", \
     'bpq.techniques-learning-curves.dat' index 4 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "mutant: replay, summed", \
     'bpq.techniques-learning-curves.dat' index 5 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "mutant: frozen target"
set output
