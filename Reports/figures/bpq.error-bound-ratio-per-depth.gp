set terminal svg size 720,440 dynamic font 'Helvetica,13' background rgb 'white'
set output 'bpq.error-bound-ratio-per-depth.svg.tmp'
set title "Theorem 2: h\\_l / ε against the path length l"
set xlabel "l (path length from Q\\_X to the cost)"
set ylabel "h\\_l / ε"
set key outside right top box
set grid
set datafile missing 'nan'
set logscale y
plot 'bpq.error-bound-ratio-per-depth.dat' index 0 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "main text 3·2^l - 2", \
     'bpq.error-bound-ratio-per-depth.dat' index 1 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "appendix 3·2^(l-1) - 2", \
     'bpq.error-bound-ratio-per-depth.dat' index 2 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "l² (triangle ineq.)", \
     'bpq.error-bound-ratio-per-depth.dat' index 3 using 1:2 with points pt 7 ps 0.5 title "aligned construction", \
     'bpq.error-bound-ratio-per-depth.dat' index 4 using 1:2 with points pt 7 ps 0.5 title "worst trained"
set output
