set terminal svg size 720,440 dynamic font 'Helvetica,13' background rgb 'white'
set output 'hnca.unbiased-exact-mean.svg.tmp'
set title "Exact mean of the estimator vs the exact gradient (every parameter of every network)"
set xlabel "exact ∂E[R]/∂θ"
set ylabel "exact E[estimate]"
set key outside right top box
set grid
set datafile missing 'nan'
plot 'hnca.unbiased-exact-mean.dat' index 0 using 1:2 with points pt 7 ps 0.5 title "HNCA", \
     'hnca.unbiased-exact-mean.dat' index 1 using 1:2 with points pt 7 ps 0.5 title "mutant: logit ignores x\\_i", \
     'hnca.unbiased-exact-mean.dat' index 2 using 1:2 with lines lw 2 title "y = x"
set output
