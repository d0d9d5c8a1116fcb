set terminal svg size 720,440 dynamic font 'Helvetica,13' background rgb 'white'
set output 'bpq.rao-blackwell-variance-ratio.svg.tmp'
set title "Var(score·Q\\_X) / Var(score·F\\_X) per parameter, random SCGs (exact)"
set xlabel "fraction of parameters"
set ylabel "variance ratio"
set key outside right top box
set grid
set datafile missing 'nan'
set logscale y
plot 'bpq.rao-blackwell-variance-ratio.dat' index 0 using 1:2 with lines lw 2 title "exact ratio, sorted", \
     'bpq.rao-blackwell-variance-ratio.dat' index 1 using 1:2 with lines lw 2 title "ratio 1 (no reduction)"
set output
