set terminal svg size 720,440 dynamic font 'Helvetica,13' background rgb 'white'
set output 'hnca.bandit-variance-depth1.svg.tmp'
set title "ln mean gradient variance, 1 hidden layer"
set xlabel "epoch"
set ylabel "ln mean gradient variance"
set key outside right top box
set grid
set datafile missing 'nan'
plot 'hnca.bandit-variance-depth1.dat' index 0 using 1:2:3:4 with yerrorlines title "REINFORCE", \
     'hnca.bandit-variance-depth1.dat' index 1 using 1:2:3:4 with yerrorlines title "REINFORCE + baseline", \
     'hnca.bandit-variance-depth1.dat' index 2 using 1:2:3:4 with yerrorlines title "HNCA", \
     'hnca.bandit-variance-depth1.dat' index 3 using 1:2:3:4 with yerrorlines title "HNCA + baseline", \
     'hnca.bandit-variance-depth1.dat' index 4 using 1:2 with lines lw 2 title "mutant (negative control)"
set output
