set terminal svg size 720,440 dynamic font 'Helvetica,13' background rgb 'white'
set output 'lecture.reparam-variance.svg.tmp'
set title "Variance per sample: reparameterisation vs REINFORCE"
set xlabel "test function f (1: z², 2: exp z, 3: sin z, 4: z⁴ - 3z² + z)"
set ylabel "tr Var(g) per sample"
set key outside right top box
set grid
set datafile missing 'nan'
set logscale y
plot 'lecture.reparam-variance.dat' index 0 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "REINFORCE, exact", \
     'lecture.reparam-variance.dat' index 1 using 1:2 with points pt 7 ps 0.5 title "REINFORCE, Monte Carlo", \
     'lecture.reparam-variance.dat' index 2 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "reparam., exact", \
     'lecture.reparam-variance.dat' index 3 using 1:2 with points pt 7 ps 0.5 title "reparam., Monte Carlo"
set output
