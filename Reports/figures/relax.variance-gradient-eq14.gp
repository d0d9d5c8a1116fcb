set terminal svg size 720,440 dynamic font 'Helvetica,13' background rgb 'white'
set output 'relax.variance-gradient-eq14.svg.tmp'
set title "RELAX, first setting: mean of d(g squared)/dphi against finite differences of Var(g), one point per parameter"
set xlabel "d Var(g)/dphi (finite differences)"
set ylabel "mean of d(g squared)/dphi (quadrature)"
set key outside right top box
set grid
set datafile missing 'nan'
plot 'relax.variance-gradient-eq14.dat' index 0 using 1:2 with points pt 7 ps 0.5 title "parameters", \
     'relax.variance-gradient-eq14.dat' index 1 using 1:2 with lines lw 2 title "y = x"
set output
