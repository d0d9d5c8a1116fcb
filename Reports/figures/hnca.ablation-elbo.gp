set terminal svg size 820,560 dynamic font 'Helvetica,13' background rgb 'white'
set output 'hnca.ablation-elbo.svg.tmp'
set title "Training ELBO of f-HNCA + baseline under the released switches, L = 3"
set xlabel "epoch"
set ylabel "online training ELBO (nats)"
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
plot 'hnca.ablation-elbo.dat' index 0 using 1:2:3:4 with yerrorlines title "f-HNCA (all\\_child, full\\_reward) + baseline", \
     'hnca.ablation-elbo.dat' index 1 using 1:2:3:4 with yerrorlines title "f-HNCA (full\\_reward) + baseline", \
     'hnca.ablation-elbo.dat' index 2 using 1:2:3:4 with yerrorlines title "f-HNCA + baseline"
set output
