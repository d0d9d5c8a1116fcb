set terminal svg size 720,440 dynamic font 'Helvetica,13' background rgb 'white'
set output 'bpq.techniques-algorithm1.svg.tmp'
set title "Algorithm 1 on Figure 7: exact J during training (mean over seeds)"
set xlabel "iteration"
set ylabel "J = E[f1 + f2]"
set key outside right top box
set grid
set datafile missing 'nan'
plot 'bpq.techniques-algorithm1.dat' index 0 using 1:2 with lines lw 2 title "REINFORCE (total cost)", \
     'bpq.techniques-algorithm1.dat' index 1 using 1:2 with lines lw 2 title "BPQ, learned Q", \
     'bpq.techniques-algorithm1.dat' index 2 using 1:2 with lines lw 2 title "BPQ, learned advantage"
set output
