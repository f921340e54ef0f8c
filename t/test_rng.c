/* RNG: reference outputs from t/data/rng_ref.py, distribution checks,
 * shuffles and seed mixing. */
#include <stdint.h>
#include <string.h>

#include "l2d/engine.h"
#include "tap.h"

static const uint64_t raw_ref[6] = {0x0000000000002d00ULL, 0x0000000000000000ULL,
                                    0x000000005a007080ULL, 0x10e0000000009d80ULL,
                                    0x10e0b61ce1009d80ULL, 0x0870021ce143ad00ULL};
static const uint64_t seed0_state[4] = {0xe220a8397b1dcdafULL, 0x6e789e6aa1b965f4ULL,
                                        0x06c45d188009454fULL, 0xf88bb8a8724c81ecULL};
static const uint64_t seed0_out[4] = {0x99ec5f36cb75f2b4ULL, 0xbf6e1f784956452aULL,
                                      0x1a5f849d4933e6e0ULL, 0x6aa594f1262d2d2cULL};
static const uint64_t seed42_out[4] = {0x15780b2e0c2ec716ULL, 0x6104d9866d113a7eULL,
                                       0xae17533239e499a1ULL, 0xecb8ad4703b360a1ULL};

int main(void)
{
    tap_plan(22);
    struct l2d_rng r = {{1, 2, 3, 4}};
    int ok = 1;
    for (int i = 0; i < 6; i++) ok &= l2d_rng_u64(&r) == raw_ref[i];
    tap_ok(ok, "xoshiro256** from state {1,2,3,4} matches the reference");

    l2d_rng_seed(&r, 0);
    tap_ok(memcmp(r.s, seed0_state, sizeof r.s) == 0, "splitmix64 seeding of 0");
    ok = 1;
    for (int i = 0; i < 4; i++) ok &= l2d_rng_u64(&r) == seed0_out[i];
    tap_ok(ok, "seed 0 outputs");
    l2d_rng_seed(&r, 42);
    ok = 1;
    for (int i = 0; i < 4; i++) ok &= l2d_rng_u64(&r) == seed42_out[i];
    tap_ok(ok, "seed 42 outputs");

    /* same seed, same stream; different seed, different stream */
    struct l2d_rng a, b;
    l2d_rng_seed(&a, 7);
    l2d_rng_seed(&b, 7);
    ok = 1;
    for (int i = 0; i < 1000; i++) ok &= l2d_rng_u64(&a) == l2d_rng_u64(&b);
    tap_ok(ok, "same seed gives the same stream");
    l2d_rng_seed(&b, 8);
    tap_ok(l2d_rng_u64(&a) != l2d_rng_u64(&b), "different seeds differ");

    /* uniform: mean 1/2, variance 1/12; n = 1e6 gives sd(mean) ~ 2.9e-4 */
    const int n = 1000000;
    double s = 0, s2 = 0, lo = 1, hi = 0;
    l2d_rng_seed(&r, 1);
    for (int i = 0; i < n; i++) {
        double u = l2d_rng_uniform(&r);
        s += u;
        s2 += u * u;
        if (u < lo) lo = u;
        if (u > hi) hi = u;
    }
    double mean = s / n, var = s2 / n - mean * mean;
    tap_close(mean, 0.5, 2e-3, 0, "uniform mean");
    tap_close(var, 1.0 / 12, 1e-3, 0, "uniform variance");
    tap_ok(lo >= 0 && hi < 1, "uniform stays in [0,1): min %g max %g", lo, hi);

    /* normal: mean 0, variance 1, fourth moment 3 */
    s = s2 = 0;
    double s4 = 0;
    for (int i = 0; i < n; i++) {
        double z = l2d_rng_normal(&r);
        s += z;
        s2 += z * z;
        s4 += z * z * z * z;
    }
    tap_close(s / n, 0, 5e-3, 0, "normal mean");
    tap_close(s2 / n, 1, 1e-2, 0, "normal variance");
    tap_close(s4 / n, 3, 0.05, 0, "normal 4th moment");

    /* below(): chi-square over 10 cells, 9 dof; 0.999 quantile is 27.88 */
    enum { K = 10 };
    long cnt[K] = {0};
    const int nb = 200000;
    for (int i = 0; i < nb; i++) cnt[l2d_rng_below(&r, K)]++;
    double chi = 0;
    for (int k = 0; k < K; k++) chi += (cnt[k] - nb / (double)K) * (cnt[k] - nb / (double)K) / (nb / (double)K);
    tap_ok(chi < 27.88, "below(10) chi-square %.2f < 27.88", chi);
    /* n = 3 does not divide 2^64: rejection must keep it unbiased */
    long c3[3] = {0};
    for (int i = 0; i < 300000; i++) c3[l2d_rng_below(&r, 3)]++;
    chi = 0;
    for (int k = 0; k < 3; k++) chi += (c3[k] - 1e5) * (c3[k] - 1e5) / 1e5;
    tap_ok(chi < 13.82, "below(3) chi-square %.2f < 13.82", chi);
    tap_ok(l2d_rng_below(&r, 1) == 0 && l2d_rng_below(&r, 0) == 0, "below(1) and below(0) give 0");
    uint64_t big = (1ULL << 63) + 12345, mx = 0;
    ok = 1;
    for (int i = 0; i < 1000; i++) {
        uint64_t v = l2d_rng_below(&r, big);
        ok &= v < big;
        if (v > mx) mx = v;
    }
    tap_ok(ok && mx > big / 2, "below(2^63+12345) stays in range and covers it");

    /* shuffle: a permutation, and every position sees every value */
    enum { P = 50 };
    size_t idx[P];
    int seen[P];
    ok = 1;
    int moved = 0;
    for (int rep = 0; rep < 20; rep++) {
        for (size_t i = 0; i < P; i++) idx[i] = i;
        l2d_rng_shuffle(&r, idx, P);
        memset(seen, 0, sizeof seen);
        for (size_t i = 0; i < P; i++) {
            if (idx[i] >= P || seen[idx[i]]++) ok = 0;
            if (idx[i] != i) moved++;
        }
    }
    tap_ok(ok, "shuffle gives permutations");
    tap_ok(moved > 20 * P / 2, "shuffle moves most items (%d of %d)", moved, 20 * P);
    /* position 0 of a 4-shuffle is uniform over 4 values */
    long p0[4] = {0};
    for (int i = 0; i < 40000; i++) {
        size_t q[4] = {0, 1, 2, 3};
        l2d_rng_shuffle(&r, q, 4);
        p0[q[0]]++;
    }
    chi = 0;
    for (int k = 0; k < 4; k++) chi += (p0[k] - 1e4) * (p0[k] - 1e4) / 1e4;
    tap_ok(chi < 16.27, "shuffle first slot uniform, chi-square %.2f < 16.27", chi);
    l2d_rng_shuffle(&r, idx, 0);
    tap_ok(1, "shuffle of 0 items is a no-op");

    /* seed mixing */
    uint64_t m1 = l2d_seed_mix(1, "init"), m2 = l2d_seed_mix(1, "data"), m3 = l2d_seed_mix(2, "init");
    tap_ok(m1 != m2 && m1 != m3 && m2 != m3, "seed_mix differs per tag and per seed");
    tap_ok(m1 == l2d_seed_mix(1, "init") && l2d_seed_mix(1, "") != l2d_seed_mix(1, "a"),
           "seed_mix is a function of its inputs");
    return tap_done();
}
