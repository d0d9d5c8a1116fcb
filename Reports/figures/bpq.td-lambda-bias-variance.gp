set terminal svg size 720,440 dynamic font 'Helvetica,13' background rgb 'white'
set output 'bpq.td-lambda-bias-variance.svg.tmp'
set title "Graph λ-return: exact bias² and variance of the target vs λ"
set xlabel "λ"
set ylabel "bias², variance of G^λ"
set key outside right top box
set grid
set datafile missing 'nan'
set logscale y
plot 'bpq.td-lambda-bias-variance.dat' index 0 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "bias²", \
     'bpq.td-lambda-bias-variance.dat' index 1 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "variance", \
     'bpq.td-lambda-bias-variance.dat' index 2 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "bias² + variance"
set output
