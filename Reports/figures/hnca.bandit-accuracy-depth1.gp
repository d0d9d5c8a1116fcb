set terminal svg size 720,440 dynamic font 'Helvetica,13' background rgb 'white'
set output 'hnca.bandit-accuracy-depth1.svg.tmp'
set title "Accuracy, 1 hidden layer"
set xlabel "epoch"
set ylabel "accuracy"
set key outside right top box
set grid
set datafile missing 'nan'
plot 'hnca.bandit-accuracy-depth1.dat' index 0 using 1:2:3:4 with yerrorlines title "REINFORCE, test", \
     'hnca.bandit-accuracy-depth1.dat' index 1 using 1:2 with lines lw 2 title "REINFORCE, train (online)", \
     'hnca.bandit-accuracy-depth1.dat' index 2 using 1:2:3:4 with yerrorlines title "REINFORCE + baseline, test", \
     'hnca.bandit-accuracy-depth1.dat' index 3 using 1:2 with lines lw 2 title "REINFORCE + baseline, train (online)", \
     'hnca.bandit-accuracy-depth1.dat' index 4 using 1:2:3:4 with yerrorlines title "HNCA, test", \
     'hnca.bandit-accuracy-depth1.dat' index 5 using 1:2 with lines lw 2 title "HNCA, train (online)", \
     'hnca.bandit-accuracy-depth1.dat' index 6 using 1:2:3:4 with yerrorlines title "HNCA + baseline, test", \
     'hnca.bandit-accuracy-depth1.dat' index 7 using 1:2 with lines lw 2 title "HNCA + baseline, train (online)"
set output
