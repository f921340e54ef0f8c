/* TEMPORARY stand-in for engine.h's l2d_rng until the engine branch is
 * merged: same generator family (xoshiro256** seeded through splitmix64).
 * Delete this file and use l2d_rng_* / l2d_seed_mix once main has them. */
#ifndef L2D_LOCAL_RNG_H
#define L2D_LOCAL_RNG_H
#include <math.h>
#include <stddef.h>
#include <stdint.h>

struct lrng {
    uint64_t s[4];
};

static inline uint64_t lrng_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static inline void lrng_seed(struct lrng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = lrng_splitmix(&seed);
}
static inline uint64_t lrng_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static inline uint64_t lrng_u64(struct lrng *r)
{
    uint64_t *s = r->s, res = lrng_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = lrng_rotl(s[3], 45);
    return res;
}
static inline double lrng_uniform(struct lrng *r) { return (double)(lrng_u64(r) >> 11) * 0x1.0p-53; }
static inline uint64_t lrng_below(struct lrng *r, uint64_t n)
{
    uint64_t lim = -n % n, v; /* reject the short top slice: unbiased */
    do v = lrng_u64(r);
    while (v < lim);
    return v % n;
}
static inline double lrng_normal(struct lrng *r)
{
    double u = 1.0 - lrng_uniform(r), v = lrng_uniform(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}
static inline void lrng_shuffle(struct lrng *r, size_t *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)lrng_below(r, i), t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}
static inline uint64_t lrng_seed_mix(uint64_t seed, const char *tag)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a of the tag */
    for (; *tag; tag++) h = (h ^ (unsigned char)*tag) * 0x100000001b3ULL;
    uint64_t x = seed ^ h;
    return lrng_splitmix(&x);
}
#endif
