set terminal svg size 720,440 dynamic font 'Helvetica,13' background rgb 'white'
set output 'relax.toy-learned-relaxation.svg.tmp'
set title "Relaxations at RELAX's final theta = 0.0477 (seed 0)"
set xlabel "u"
set ylabel "value"
set key outside right top box
set grid
set datafile missing 'nan'
plot 'relax.toy-learned-relaxation.dat' index 0 using 1:2 with lines lw 2 title "f(H(z))", \
     'relax.toy-learned-relaxation.dat' index 1 using 1:2 with lines lw 2 title "REBAR f(sigma\\_lambda(z)), learned lambda", \
     'relax.toy-learned-relaxation.dat' index 2 using 1:2 with lines lw 2 title "RELAX c\\_phi(z)"
set output
