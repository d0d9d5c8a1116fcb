// Hot loops of DiscreteGradients in C, so that they can be compiled for AVX2 as well as for the
// x86-64 baseline (SSE2) and picked at load time (target_clones), without compiler flags (a
// package with unsafeFlags cannot be used as a dependency). Floating-point contraction is off:
// every clone performs the same IEEE operations in the same order as the Swift code they replace,
// so results are bit-for-bit the same on every machine and with either clone.
#ifndef CKERNELS_H
#define CKERNELS_H
#include <stdint.h>

/// HNCA flip products for a layer of Bernoulli children (see FlipRatios.bernoulliChild): for every
/// example r and parent i, den[r * H + i] = prod over child pairs (j, j + 1) of f_j f_{j + 1} (then a
/// lone last child), f_j = inverse + clip(e * scaled, low, high) with e = exp(+-gap W_ji) read from
/// `up` (exp(gap W), [C x H]) or `down` (exp(-gap W)): from `up` when child j fired and parent i
/// fired or neither did, from `down` otherwise. Per (example, child) k = r * C + j: inverse, scaled,
/// low, high, childFired (0/1) and inRange (1: the clip cannot bind for any parent, so it is
/// skipped; exact). parentMask[r * H + i] is all ones if parent i of example r fired, else 0.
/// Tables are bit patterns of doubles.
void dg_bernoulli_flip_products(long B, long H, long C, const uint64_t *up, const uint64_t *down,
                                const double *inverse, const double *scaled, const double *low, const double *high,
                                const uint8_t *childFired, const uint8_t *inRange, const uint64_t *parentMask,
                                double *den);

/// One Adam step on n parameters, the same operations in the same order as Adam.update:
/// m = b1 m + (1 - b1) g, v = b2 v + ((1 - b2) g) g, p = p + (rate (m c1)) / (sqrt(v c2) + eps).
void dg_adam_step(long n, double *parameters, const double *gradient, double *firstMoment, double *secondMoment,
                  double b1, double b2, double inverseC1, double inverseC2, double signedRate, double eps);

/// exp of n values into out (in place allowed). With `vectorised` and a CPU with AVX2 and FMA, four at a
/// time by glibc's own algorithm and constants (bit-for-bit glibc's exp where glibc uses its FMA variant;
/// the caller checks that on a probe set first); otherwise exp() per value.
void dg_exp_fill(long n, const double *x, double *out, int vectorised);
/// Whether the CPU has AVX2 and FMA (the four-lane exp's requirement).
int dg_exp_vectorised_available(void);

/// sizeof GSL's mt19937 state as this file declares it (checked against gsl_rng_size before use).
long dg_mt19937_state_size(void);
/// n draws of gsl_rng_uniform_pos from an mt19937 generator's state (gsl_rng.state), bit for bit and in
/// order, without the per-draw indirect calls.
void dg_mt19937_uniform_pos(void *state, double *out, long n);

#endif
