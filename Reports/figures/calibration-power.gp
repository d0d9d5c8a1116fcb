set terminal svg size 820,560 dynamic font 'Helvetica,13' background rgb 'white'
set output 'calibration-power.svg.tmp'
set title "P(REPRODUCED | claim holds at the SESOI): realised minus the design's computed value"
set xlabel "nominal alpha (per interval)"
set ylabel "realised - computed (95% Clopper-Pearson)"
set key below box maxrows 4
# A colour-blind-safe cycle (Okabe-Ito), with no pale yellow that vanishes on white.
set linetype 1 lc rgb '#0072B2'
set linetype 2 lc rgb '#D55E00'
set linetype 3 lc rgb '#009E73'
set linetype 4 lc rgb '#CC79A7'
set linetype 5 lc rgb '#E69F00'
set linetype 6 lc rgb '#56B4E9'
set linetype 7 lc rgb '#000000'
set linetype 8 lc rgb '#999999'
set linetype cycle 8
set grid
set datafile missing 'nan'
set logscale x
plot 'calibration-power.dat' index 0 using 1:2 with lines lw 2 title "realised = computed", \
     'calibration-power.dat' index 1 using 1:2:3:4 with yerrorlines title "t / paired t / Welch t, normal seeds", \
     'calibration-power.dat' index 2 using 1:2:3:4 with yerrorlines title "t, lognormal seeds", \
     'calibration-power.dat' index 3 using 1:2:3:4 with yerrorlines title "Clopper-Pearson", \
     'calibration-power.dat' index 4 using 1:2:3:4 with yerrorlines title "log variance ratio, normal draws", \
     'calibration-power.dat' index 5 using 1:2:3:4 with yerrorlines title "log variance ratio, heavy-tailed draws", \
     'calibration-power.dat' index 6 using 1:2:3:4 with yerrorlines title "TOST on a mean, normal", \
     'calibration-power.dat' index 7 using 1:2:3:4 with yerrorlines title "TOST on a mean, heavy-tailed draws"
set output
