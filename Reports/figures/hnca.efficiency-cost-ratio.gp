set terminal svg size 720,440 dynamic font 'Helvetica,13' background rgb 'white'
set output 'hnca.efficiency-cost-ratio.svg.tmp'
set title "Backward / forward cost against layer width"
set xlabel "width w"
set ylabel "backward cost / forward cost"
set key outside right top box
set grid
set datafile missing 'nan'
set logscale x
set logscale y
plot 'hnca.efficiency-cost-ratio.dat' index 0 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "efficient (operations)", \
     'hnca.efficiency-cost-ratio.dat' index 1 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "naive (operations)", \
     'hnca.efficiency-cost-ratio.dat' index 2 using 1:2 with points pt 7 ps 0.5 title "efficient (time)", \
     'hnca.efficiency-cost-ratio.dat' index 3 using 1:2 with points pt 7 ps 0.5 title "naive (time)"
set output
