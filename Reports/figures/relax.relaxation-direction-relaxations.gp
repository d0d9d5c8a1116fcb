set terminal svg size 720,440 dynamic font 'Helvetica,13' background rgb 'white'
set output 'relax.relaxation-direction-relaxations.svg.tmp'
set title "Relaxations at theta = 1/2 (like Figure 1, right)"
set xlabel "u"
set ylabel "value"
set key outside right top box
set grid
set datafile missing 'nan'
plot 'relax.relaxation-direction-relaxations.dat' index 0 using 1:2 with lines lw 2 title "f(H(z))", \
     'relax.relaxation-direction-relaxations.dat' index 1 using 1:2 with lines lw 2 title "REBAR f(sigma(z)), lambda = 1", \
     'relax.relaxation-direction-relaxations.dat' index 2 using 1:2 with lines lw 2 title "REBAR f(sigma(z/0.5))", \
     'relax.relaxation-direction-relaxations.dat' index 3 using 1:2 with lines lw 2 title "RELAX c\\_phi seed 0", \
     'relax.relaxation-direction-relaxations.dat' index 4 using 1:2 with lines lw 2 title "RELAX c\\_phi seed 1", \
     'relax.relaxation-direction-relaxations.dat' index 5 using 1:2 with lines lw 2 title "RELAX c\\_phi seed 2"
set output
