set terminal svg size 720,440 dynamic font 'Helvetica,13' background rgb 'white'
set output 'bpq.techniques-advantage-variance.svg.tmp'
set title "Advantage vs Q as the local cost: exact total variance ratio per graph"
set xlabel "fraction of graphs"
set ylabel "Var(score·A) / Var(score·Q)"
set key outside right top box
set grid
set datafile missing 'nan'
set logscale y
plot 'bpq.techniques-advantage-variance.dat' index 0 using 1:2 with lines lw 2 title "sorted ratio", \
     'bpq.techniques-advantage-variance.dat' index 1 using 1:2 with lines lw 2 title "ratio 1"
set output
