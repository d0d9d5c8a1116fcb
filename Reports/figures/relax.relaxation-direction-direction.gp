set terminal svg size 720,440 dynamic font 'Helvetica,13' background rgb 'white'
set output 'relax.relaxation-direction-direction.svg.tmp'
set title "d/da c(z(u)) at theta = 1/2 (> 0: toward lower loss)"
set xlabel "u"
set ylabel "d/da c(z(u))"
set key outside right top box
set grid
set datafile missing 'nan'
plot 'relax.relaxation-direction-direction.dat' index 0 using 1:2 with lines lw 2 title "REBAR lambda = 1: d/da f(sigma(z))", \
     'relax.relaxation-direction-direction.dat' index 1 using 1:2 with lines lw 2 title "RELAX seed 0: d/da c\\_phi(z)", \
     'relax.relaxation-direction-direction.dat' index 2 using 1:2 with lines lw 2 title "RELAX seed 1: d/da c\\_phi(z)", \
     'relax.relaxation-direction-direction.dat' index 3 using 1:2 with lines lw 2 title "RELAX seed 2: d/da c\\_phi(z)", \
     'relax.relaxation-direction-direction.dat' index 4 using 1:2 with lines lw 2 title "zero"
set output
