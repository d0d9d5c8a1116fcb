set terminal svg size 720,440 dynamic font 'Helvetica,13' background rgb 'white'
set output 'lecture.concrete-mutant-bias.svg.tmp'
set title "Bias vs temperature: concrete and the mutant"
set xlabel "temperature τ"
set ylabel "|E[g\\_τ] - ∇E[f(b)]|"
set key outside right top box
set grid
set datafile missing 'nan'
set logscale x
set logscale y
plot 'lecture.concrete-mutant-bias.dat' index 0 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "concrete", \
     'lecture.concrete-mutant-bias.dat' index 1 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "mutant (no τ in forward)"
set output
