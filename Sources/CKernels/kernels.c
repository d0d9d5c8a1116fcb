#include "CKernels.h"
#include <string.h>

// No fused multiply-adds: the clones and the Swift fallbacks must round identically.
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#if defined(__x86_64__) && defined(__ELF__) && defined(__clang__)
#define DG_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define DG_CLONES
#endif

static inline double dg_bits(uint64_t u) { double d; memcpy(&d, &u, sizeof d); return d; }

// Loop order: child pairs outermost, then examples, then parents (contiguous, vectorised). The four
// table rows of a pair stay in L1 while every example uses them, and den and parentMask ([B x H])
// stay in L2; looping examples outermost instead streams all of both tables from L3 per example.
// Each den[r * H + i] still multiplies its factors in the order j = 0, 1, ...
DG_CLONES
void dg_bernoulli_flip_products(long B, long H, long C, const uint64_t *restrict up, const uint64_t *restrict down,
                                const double *restrict inverse, const double *restrict scaled,
                                const double *restrict low, const double *restrict high,
                                const uint8_t *restrict childFired, const uint8_t *restrict inRange,
                                const uint64_t *restrict parentMask, double *restrict den) {
    for (long k = 0; k < B * H; k++) den[k] = 1;
    long j = 0;
    for (; j + 2 <= C; j += 2) {
        const uint64_t *up0 = up + j * H, *down0 = down + j * H, *up1 = up + (j + 1) * H, *down1 = down + (j + 1) * H;
        for (long r = 0; r < B; r++) {
            double *restrict d = den + r * H;
            const uint64_t *restrict m = parentMask + r * H;
            const long k0 = r * C + j, k1 = k0 + 1;
            const uint64_t *restrict s0 = childFired[k0] ? up0 : down0, *restrict o0 = childFired[k0] ? down0 : up0;
            const uint64_t *restrict s1 = childFired[k1] ? up1 : down1, *restrict o1 = childFired[k1] ? down1 : up1;
            const double v0 = inverse[k0], a0 = scaled[k0], v1 = inverse[k1], a1 = scaled[k1];
            if (inRange[k0] && inRange[k1]) {
                for (long i = 0; i < H; i++) {
                    const uint64_t mk = m[i];
                    const double e0 = dg_bits((s0[i] & mk) | (o0[i] & ~mk)), e1 = dg_bits((s1[i] & mk) | (o1[i] & ~mk));
                    d[i] *= (v0 + e0 * a0) * (v1 + e1 * a1);
                }
            } else {
                const double l0 = low[k0], h0 = high[k0], l1 = low[k1], h1 = high[k1];
                for (long i = 0; i < H; i++) {
                    const uint64_t mk = m[i];
                    const double e0 = dg_bits((s0[i] & mk) | (o0[i] & ~mk)), e1 = dg_bits((s1[i] & mk) | (o1[i] & ~mk));
                    double q0 = e0 * a0; q0 = q0 < l0 ? l0 : q0; q0 = q0 > h0 ? h0 : q0;
                    double q1 = e1 * a1; q1 = q1 < l1 ? l1 : q1; q1 = q1 > h1 ? h1 : q1;
                    d[i] *= (v0 + q0) * (v1 + q1);
                }
            }
        }
    }
    if (j < C) {
        const uint64_t *up0 = up + j * H, *down0 = down + j * H;
        for (long r = 0; r < B; r++) {
            double *restrict d = den + r * H;
            const uint64_t *restrict m = parentMask + r * H;
            const long k0 = r * C + j;
            const uint64_t *restrict s0 = childFired[k0] ? up0 : down0, *restrict o0 = childFired[k0] ? down0 : up0;
            const double v0 = inverse[k0], a0 = scaled[k0], l0 = low[k0], h0 = high[k0];
            for (long i = 0; i < H; i++) {
                const uint64_t mk = m[i];
                const double e0 = dg_bits((s0[i] & mk) | (o0[i] & ~mk));
                double q0 = e0 * a0; q0 = q0 < l0 ? l0 : q0; q0 = q0 > h0 ? h0 : q0;
                d[i] *= v0 + q0;
            }
        }
    }
}

DG_CLONES
void dg_adam_step(long n, double *restrict p, const double *restrict g, double *restrict m, double *restrict v,
                  double b1, double b2, double inverseC1, double inverseC2, double signedRate, double eps) {
    const double oneMinusB1 = 1 - b1, oneMinusB2 = 1 - b2;
    for (long i = 0; i < n; i++) {
        const double gi = g[i];
        const double mi = b1 * m[i] + oneMinusB1 * gi;
        const double vi = b2 * v[i] + oneMinusB2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        // __builtin_elementwise_sqrt: IEEE square root without errno, so the loop vectorises.
        p[i] = p[i] + signedRate * (mi * inverseC1) / (__builtin_elementwise_sqrt(vi * inverseC2) + eps);
    }
}
