set terminal svg size 720,440 dynamic font 'Helvetica,13' background rgb 'white'
set output 'lecture.concrete-bias-variance.svg.tmp'
set title "Concrete (K = 3): bias and variance vs temperature"
set xlabel "temperature τ"
set ylabel "|bias| and tr Var (per sample)"
set key outside right top box
set grid
set datafile missing 'nan'
set logscale x
set logscale y
plot 'lecture.concrete-bias-variance.dat' index 0 using 1:2:3:4 with yerrorlines title "|bias| (±2 se)", \
     'lecture.concrete-bias-variance.dat' index 1 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "tr Var", \
     'lecture.concrete-bias-variance.dat' index 2 using 1:2 with points pt 7 ps 0.5 title "|bias|, quadrature", \
     'lecture.concrete-bias-variance.dat' index 3 using 1:2 with points pt 7 ps 0.5 title "tr Var, quadrature", \
     'lecture.concrete-bias-variance.dat' index 4 using 1:2 with lines lw 2 title "|∇E f(b)|"
set output
