set terminal svg size 720,440 dynamic font 'Helvetica,13' background rgb 'white'
set output 'lecture.reinforce-running-mean.svg.tmp'
set title "REINFORCE: running mean of the estimate vs the exact gradient"
set xlabel "samples"
set ylabel "estimate"
set key outside right top box
set grid
set datafile missing 'nan'
set logscale x
plot 'lecture.reinforce-running-mean.dat' index 0 using 1:2:3:4 with yerrorlines title "mean of g1 (±2 se)", \
     'lecture.reinforce-running-mean.dat' index 1 using 1:2 with lines lw 2 title "exact ∂E[f]/∂a1", \
     'lecture.reinforce-running-mean.dat' index 2 using 1:2:3:4 with yerrorlines title "mean of g2 (±2 se)", \
     'lecture.reinforce-running-mean.dat' index 3 using 1:2 with lines lw 2 title "exact ∂E[f]/∂a2", \
     'lecture.reinforce-running-mean.dat' index 4 using 1:2:3:4 with yerrorlines title "mean of g3 (±2 se)", \
     'lecture.reinforce-running-mean.dat' index 5 using 1:2 with lines lw 2 title "exact ∂E[f]/∂a3"
set output
