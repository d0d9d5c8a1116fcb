set terminal svg size 720,440 dynamic font 'Helvetica,13' background rgb 'white'
set output 'hnca.softmax-output-cost.svg.tmp'
set title "Softmax message cost per example against |pa| × N"
set xlabel "|pa| × N"
set ylabel "operations per example"
set key outside right top box
set grid
set datafile missing 'nan'
set logscale x
set logscale y
plot 'hnca.softmax-output-cost.dat' index 0 using 1:2 with points pt 7 ps 0.5 title "efficient messages", \
     'hnca.softmax-output-cost.dat' index 1 using 1:2 with lines lw 2 title "2 |pa| N"
set output
