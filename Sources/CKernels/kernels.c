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

// MARK: exp, four at a time, as glibc computes it

// glibc 2.36's exp (sysdeps/ieee754/dbl-64/e_exp.c, from Arm's optimized-routines; the FMA variant
// __exp_fma that glibc selects on CPUs with AVX2 and FMA): exp(x) = 2^(k/N) exp(r), N = 128, a table
// of 2^(i/N) and a degree-5 polynomial. The constants below are glibc's __exp_data, and the
// operations are those of __exp_fma's machine code (the same fused multiply-adds in the same order),
// four lanes at a time; lanes outside the main path (|x| < 2^-54 or |x| >= 512, NaN, inf) call exp()
// itself. So on such a CPU every result is bit-for-bit glibc's exp; `dg_exp_is_libm` checks this on
// a probe set at run time, and the Swift side uses the loop only where the probe passes (elsewhere
// dg_exp_fill falls back to exp() per value).
#include <math.h>
#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>
#define DG_HAVE_EXP4 1
static const uint64_t dg_exp_tab[256] = {
    0x0000000000000000ull, 0x3FF0000000000000ull, 0x3C9B3B4F1A88BF6Eull, 0x3FEFF63DA9FB3335ull,
    0xBC7160139CD8DC5Dull, 0x3FEFEC9A3E778061ull, 0xBC905E7A108766D1ull, 0x3FEFE315E86E7F85ull,
    0x3C8CD2523567F613ull, 0x3FEFD9B0D3158574ull, 0xBC8BCE8023F98EFAull, 0x3FEFD06B29DDF6DEull,
    0x3C60F74E61E6C861ull, 0x3FEFC74518759BC8ull, 0x3C90A3E45B33D399ull, 0x3FEFBE3ECAC6F383ull,
    0x3C979AA65D837B6Dull, 0x3FEFB5586CF9890Full, 0x3C8EB51A92FDEFFCull, 0x3FEFAC922B7247F7ull,
    0x3C3EBE3D702F9CD1ull, 0x3FEFA3EC32D3D1A2ull, 0xBC6A033489906E0Bull, 0x3FEF9B66AFFED31Bull,
    0xBC9556522A2FBD0Eull, 0x3FEF9301D0125B51ull, 0xBC5080EF8C4EEA55ull, 0x3FEF8ABDC06C31CCull,
    0xBC91C923B9D5F416ull, 0x3FEF829AAEA92DE0ull, 0x3C80D3E3E95C55AFull, 0x3FEF7A98C8A58E51ull,
    0xBC801B15EAA59348ull, 0x3FEF72B83C7D517Bull, 0xBC8F1FF055DE323Dull, 0x3FEF6AF9388C8DEAull,
    0x3C8B898C3F1353BFull, 0x3FEF635BEB6FCB75ull, 0xBC96D99C7611EB26ull, 0x3FEF5BE084045CD4ull,
    0x3C9AECF73E3A2F60ull, 0x3FEF54873168B9AAull, 0xBC8FE782CB86389Dull, 0x3FEF4D5022FCD91Dull,
    0x3C8A6F4144A6C38Dull, 0x3FEF463B88628CD6ull, 0x3C807A05B0E4047Dull, 0x3FEF3F49917DDC96ull,
    0x3C968EFDE3A8A894ull, 0x3FEF387A6E756238ull, 0x3C875E18F274487Dull, 0x3FEF31CE4FB2A63Full,
    0x3C80472B981FE7F2ull, 0x3FEF2B4565E27CDDull, 0xBC96B87B3F71085Eull, 0x3FEF24DFE1F56381ull,
    0x3C82F7E16D09AB31ull, 0x3FEF1E9DF51FDEE1ull, 0xBC3D219B1A6FBFFAull, 0x3FEF187FD0DAD990ull,
    0x3C8B3782720C0AB4ull, 0x3FEF1285A6E4030Bull, 0x3C6E149289CECB8Full, 0x3FEF0CAFA93E2F56ull,
    0x3C834D754DB0ABB6ull, 0x3FEF06FE0A31B715ull, 0x3C864201E2AC744Cull, 0x3FEF0170FC4CD831ull,
    0x3C8FDD395DD3F84Aull, 0x3FEEFC08B26416FFull, 0xBC86A3803B8E5B04ull, 0x3FEEF6C55F929FF1ull,
    0xBC924AEDCC4B5068ull, 0x3FEEF1A7373AA9CBull, 0xBC9907F81B512D8Eull, 0x3FEEECAE6D05D866ull,
    0xBC71D1E83E9436D2ull, 0x3FEEE7DB34E59FF7ull, 0xBC991919B3CE1B15ull, 0x3FEEE32DC313A8E5ull,
    0x3C859F48A72A4C6Dull, 0x3FEEDEA64C123422ull, 0xBC9312607A28698Aull, 0x3FEEDA4504AC801Cull,
    0xBC58A78F4817895Bull, 0x3FEED60A21F72E2Aull, 0xBC7C2C9B67499A1Bull, 0x3FEED1F5D950A897ull,
    0x3C4363ED60C2AC11ull, 0x3FEECE086061892Dull, 0x3C9666093B0664EFull, 0x3FEECA41ED1D0057ull,
    0x3C6ECCE1DAA10379ull, 0x3FEEC6A2B5C13CD0ull, 0x3C93FF8E3F0F1230ull, 0x3FEEC32AF0D7D3DEull,
    0x3C7690CEBB7AAFB0ull, 0x3FEEBFDAD5362A27ull, 0x3C931DBDEB54E077ull, 0x3FEEBCB299FDDD0Dull,
    0xBC8F94340071A38Eull, 0x3FEEB9B2769D2CA7ull, 0xBC87DECCDC93A349ull, 0x3FEEB6DAA2CF6642ull,
    0xBC78DEC6BD0F385Full, 0x3FEEB42B569D4F82ull, 0xBC861246EC7B5CF6ull, 0x3FEEB1A4CA5D920Full,
    0x3C93350518FDD78Eull, 0x3FEEAF4736B527DAull, 0x3C7B98B72F8A9B05ull, 0x3FEEAD12D497C7FDull,
    0x3C9063E1E21C5409ull, 0x3FEEAB07DD485429ull, 0x3C34C7855019C6EAull, 0x3FEEA9268A5946B7ull,
    0x3C9432E62B64C035ull, 0x3FEEA76F15AD2148ull, 0xBC8CE44A6199769Full, 0x3FEEA5E1B976DC09ull,
    0xBC8C33C53BEF4DA8ull, 0x3FEEA47EB03A5585ull, 0xBC845378892BE9AEull, 0x3FEEA34634CCC320ull,
    0xBC93CEDD78565858ull, 0x3FEEA23882552225ull, 0x3C5710AA807E1964ull, 0x3FEEA155D44CA973ull,
    0xBC93B3EFBF5E2228ull, 0x3FEEA09E667F3BCDull, 0xBC6A12AD8734B982ull, 0x3FEEA012750BDABFull,
    0xBC6367EFB86DA9EEull, 0x3FEE9FB23C651A2Full, 0xBC80DC3D54E08851ull, 0x3FEE9F7DF9519484ull,
    0xBC781F647E5A3ECFull, 0x3FEE9F75E8EC5F74ull, 0xBC86EE4AC08B7DB0ull, 0x3FEE9F9A48A58174ull,
    0xBC8619321E55E68Aull, 0x3FEE9FEB564267C9ull, 0x3C909CCB5E09D4D3ull, 0x3FEEA0694FDE5D3Full,
    0xBC7B32DCB94DA51Dull, 0x3FEEA11473EB0187ull, 0x3C94ECFD5467C06Bull, 0x3FEEA1ED0130C132ull,
    0x3C65EBE1ABD66C55ull, 0x3FEEA2F336CF4E62ull, 0xBC88A1C52FB3CF42ull, 0x3FEEA427543E1A12ull,
    0xBC9369B6F13B3734ull, 0x3FEEA589994CCE13ull, 0xBC805E843A19FF1Eull, 0x3FEEA71A4623C7ADull,
    0xBC94D450D872576Eull, 0x3FEEA8D99B4492EDull, 0x3C90AD675B0E8A00ull, 0x3FEEAAC7D98A6699ull,
    0x3C8DB72FC1F0EAB4ull, 0x3FEEACE5422AA0DBull, 0xBC65B6609CC5E7FFull, 0x3FEEAF3216B5448Cull,
    0x3C7BF68359F35F44ull, 0x3FEEB1AE99157736ull, 0xBC93091FA71E3D83ull, 0x3FEEB45B0B91FFC6ull,
    0xBC5DA9B88B6C1E29ull, 0x3FEEB737B0CDC5E5ull, 0xBC6C23F97C90B959ull, 0x3FEEBA44CBC8520Full,
    0xBC92434322F4F9AAull, 0x3FEEBD829FDE4E50ull, 0xBC85CA6CD7668E4Bull, 0x3FEEC0F170CA07BAull,
    0x3C71AFFC2B91CE27ull, 0x3FEEC49182A3F090ull, 0x3C6DD235E10A73BBull, 0x3FEEC86319E32323ull,
    0xBC87C50422622263ull, 0x3FEECC667B5DE565ull, 0x3C8B1C86E3E231D5ull, 0x3FEED09BEC4A2D33ull,
    0xBC91BBD1D3BCBB15ull, 0x3FEED503B23E255Dull, 0x3C90CC319CEE31D2ull, 0x3FEED99E1330B358ull,
    0x3C8469846E735AB3ull, 0x3FEEDE6B5579FDBFull, 0xBC82DFCD978E9DB4ull, 0x3FEEE36BBFD3F37Aull,
    0x3C8C1A7792CB3387ull, 0x3FEEE89F995AD3ADull, 0xBC907B8F4AD1D9FAull, 0x3FEEEE07298DB666ull,
    0xBC55C3D956DCAEBAull, 0x3FEEF3A2B84F15FBull, 0xBC90A40E3DA6F640ull, 0x3FEEF9728DE5593Aull,
    0xBC68D6F438AD9334ull, 0x3FEEFF76F2FB5E47ull, 0xBC91EEE26B588A35ull, 0x3FEF05B030A1064Aull,
    0x3C74FFD70A5FDDCDull, 0x3FEF0C1E904BC1D2ull, 0xBC91BDFBFA9298ACull, 0x3FEF12C25BD71E09ull,
    0x3C736EAE30AF0CB3ull, 0x3FEF199BDD85529Cull, 0x3C8EE3325C9FFD94ull, 0x3FEF20AB5FFFD07Aull,
    0x3C84E08FD10959ACull, 0x3FEF27F12E57D14Bull, 0x3C63CDAF384E1A67ull, 0x3FEF2F6D9406E7B5ull,
    0x3C676B2C6C921968ull, 0x3FEF3720DCEF9069ull, 0xBC808A1883CCB5D2ull, 0x3FEF3F0B555DC3FAull,
    0xBC8FAD5D3FFFFA6Full, 0x3FEF472D4A07897Cull, 0xBC900DAE3875A949ull, 0x3FEF4F87080D89F2ull,
    0x3C74A385A63D07A7ull, 0x3FEF5818DCFBA487ull, 0xBC82919E2040220Full, 0x3FEF60E316C98398ull,
    0x3C8E5A50D5C192ACull, 0x3FEF69E603DB3285ull, 0x3C843A59AC016B4Bull, 0x3FEF7321F301B460ull,
    0xBC82D52107B43E1Full, 0x3FEF7C97337B9B5Full, 0xBC892AB93B470DC9ull, 0x3FEF864614F5A129ull,
    0x3C74B604603A88D3ull, 0x3FEF902EE78B3FF6ull, 0x3C83C5EC519D7271ull, 0x3FEF9A51FBC74C83ull,
    0xBC8FF7128FD391F0ull, 0x3FEFA4AFA2A490DAull, 0xBC8DAE98E223747Dull, 0x3FEFAF482D8E67F1ull,
    0x3C8EC3BC41AA2008ull, 0x3FEFBA1BEE615A27ull, 0x3C842B94C3A9EB32ull, 0x3FEFC52B376BBA97ull,
    0x3C8A64A931D185EEull, 0x3FEFD0765B6E4540ull, 0xBC8E37BAE43BE3EDull, 0x3FEFDBFDAD9CBE14ull,
    0x3C77893B4D91CD9Dull, 0x3FEFE7C1819E90D8ull, 0x3C5305C14160CC89ull, 0x3FEFF3C22B8F71F1ull,
};
static const double dg_exp_invln2N = 0x1.71547652b82fep0 * 128, dg_exp_negln2hiN = -0x1.62e42fefa0000p-8,
    dg_exp_negln2loN = -0x1.cf79abc9e3b3ap-47, dg_exp_shift = 0x1.8p52,
    dg_exp_c2 = 0x1.ffffffffffdbdp-2, dg_exp_c3 = 0x1.555555555543cp-3, dg_exp_c4 = 0x1.55555cf172b91p-5,
    dg_exp_c5 = 0x1.1111167a4d017p-7;

__attribute__((target("avx2,fma")))
static void dg_exp_avx2(long n, const double *x, double *out) {
    const __m256d invln2N = _mm256_set1_pd(dg_exp_invln2N), shift = _mm256_set1_pd(dg_exp_shift);
    const __m256d negln2hiN = _mm256_set1_pd(dg_exp_negln2hiN), negln2loN = _mm256_set1_pd(dg_exp_negln2loN);
    const __m256d c2 = _mm256_set1_pd(dg_exp_c2), c3 = _mm256_set1_pd(dg_exp_c3);
    const __m256d c4 = _mm256_set1_pd(dg_exp_c4), c5 = _mm256_set1_pd(dg_exp_c5);
    const __m256i mask7ff = _mm256_set1_epi64x(0x7ff), low = _mm256_set1_epi64x(0x3c9), high = _mm256_set1_epi64x(0x407);
    const __m256i mask7f = _mm256_set1_epi64x(0x7f);
    long i = 0;
    for (; i + 4 <= n; i += 4) {
        const __m256d vx = _mm256_loadu_pd(x + i);
        const __m256i abstop = _mm256_and_si256(_mm256_srli_epi64(_mm256_castpd_si256(vx), 52), mask7ff);
        // Main path iff 0x3c9 <= abstop <= 0x407 (glibc: abstop - 0x3c9 < 0x3f unsigned).
        const __m256i outside = _mm256_or_si256(_mm256_cmpgt_epi64(low, abstop), _mm256_cmpgt_epi64(abstop, high));
        if (!_mm256_testz_si256(outside, outside)) {
            for (long k = i; k < i + 4; k++) out[k] = exp(x[k]);
            continue;
        }
        const __m256d kdShifted = _mm256_fmadd_pd(vx, invln2N, shift);      // z + Shift, z = x InvLn2N
        const __m256i ki = _mm256_castpd_si256(kdShifted);
        const __m256d kd = _mm256_sub_pd(kdShifted, shift);
        __m256d r = _mm256_fmadd_pd(kd, negln2hiN, vx);
        r = _mm256_fmadd_pd(kd, negln2loN, r);
        const __m256i idx = _mm256_slli_epi64(_mm256_and_si256(ki, mask7f), 1);
        const __m256d tail = _mm256_castsi256_pd(_mm256_i64gather_epi64((const long long *)dg_exp_tab, idx, 8));
        const __m256i sbits = _mm256_add_epi64(_mm256_i64gather_epi64((const long long *)(dg_exp_tab + 1), idx, 8),
                                               _mm256_slli_epi64(ki, 45));
        const __m256d rPlusTail = _mm256_add_pd(r, tail);
        const __m256d r2 = _mm256_mul_pd(r, r);
        const __m256d p23 = _mm256_fmadd_pd(r, c3, c2);
        const __m256d p45 = _mm256_fmadd_pd(r, c5, c4);
        const __m256d sum = _mm256_fmadd_pd(p23, r2, rPlusTail);
        const __m256d r4 = _mm256_mul_pd(r2, r2);
        const __m256d tmp = _mm256_fmadd_pd(r4, p45, sum);
        const __m256d scale = _mm256_castsi256_pd(sbits);
        _mm256_storeu_pd(out + i, _mm256_fmadd_pd(scale, tmp, scale));
    }
    for (; i < n; i++) out[i] = exp(x[i]);
}
#endif

int dg_exp_vectorised_available(void) {
#ifdef DG_HAVE_EXP4
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

void dg_exp_fill(long n, const double *x, double *out, int vectorised) {
#ifdef DG_HAVE_EXP4
    if (vectorised && dg_exp_vectorised_available()) { dg_exp_avx2(n, x, out); return; }
#endif
    for (long i = 0; i < n; i++) out[i] = exp(x[i]);
}

// MARK: GSL's mt19937, many draws per call

// GSL's mt19937 state (rng/mt.c, unchanged since GSL 1.x): 624 words of 32 bits held in unsigned
// longs, and the index of the next word. The Swift side calls this only on a generator whose
// gsl_rng_name is "mt19937" and whose gsl_rng_size is sizeof(dg_mt_state).
typedef struct { unsigned long mt[624]; int mti; } dg_mt_state;

long dg_mt19937_state_size(void) { return (long)sizeof(dg_mt_state); }

// gsl_rng_uniform_pos n times: mt_get's regeneration and tempering, word / 2^32, zero words skipped
// (uniform_pos redraws while the double is 0). Same words, same order, same doubles as n calls of
// gsl_rng_uniform_pos; only the two indirect calls per draw are gone.
void dg_mt19937_uniform_pos(void *vstate, double *out, long n) {
    enum { N = 624, M = 397 };
    const unsigned long upper = 0x80000000UL, lower = 0x7fffffffUL;
    dg_mt_state *state = (dg_mt_state *)vstate;
    unsigned long *const mt = state->mt;
    long i = 0;
    while (i < n) {
        if (state->mti >= N) {
            int kk;
            for (kk = 0; kk < N - M; kk++) {
                const unsigned long y = (mt[kk] & upper) | (mt[kk + 1] & lower);
                mt[kk] = mt[kk + M] ^ (y >> 1) ^ ((y & 0x1) ? 0x9908b0dfUL : 0);
            }
            for (; kk < N - 1; kk++) {
                const unsigned long y = (mt[kk] & upper) | (mt[kk + 1] & lower);
                mt[kk] = mt[kk + (M - N)] ^ (y >> 1) ^ ((y & 0x1) ? 0x9908b0dfUL : 0);
            }
            {
                const unsigned long y = (mt[N - 1] & upper) | (mt[0] & lower);
                mt[N - 1] = mt[M - 1] ^ (y >> 1) ^ ((y & 0x1) ? 0x9908b0dfUL : 0);
            }
            state->mti = 0;
        }
        int mti = state->mti;
        while (mti < N && i < n) {
            unsigned long k = mt[mti++];
            k ^= (k >> 11);
            k ^= (k << 7) & 0x9d2c5680UL;
            k ^= (k << 15) & 0xefc60000UL;
            k ^= (k >> 18);
            if (k != 0) out[i++] = k / 4294967296.0;
        }
        state->mti = mti;
    }
}
