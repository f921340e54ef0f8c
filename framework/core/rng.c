/* xoshiro256** (Blackman & Vigna), seeded through splitmix64 so that any
 * 64-bit seed, including 0, gives a well-mixed non-zero state. */
#include "config.h"

#include <math.h>

#include "l2d/engine.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void l2d_rng_seed(struct l2d_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

uint64_t l2d_rng_u64(struct l2d_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Top 53 bits: every double in [0, 1) on the 2^-53 grid, never 1. */
double l2d_rng_uniform(struct l2d_rng *r) { return (double)(l2d_rng_u64(r) >> 11) * 0x1.0p-53; }

/* Rejection on the low zone keeps every residue equally likely. */
uint64_t l2d_rng_below(struct l2d_rng *r, uint64_t n)
{
    if (n <= 1) return 0;
    uint64_t threshold = (0 - n) % n; /* 2^64 mod n */
    for (;;) {
        uint64_t x = l2d_rng_u64(r);
        if (x >= threshold) return x % n;
    }
}

/* Box-Muller, one value per call (the pair's twin is dropped) so the state
 * depends only on the number of calls, with no hidden cache to copy. */
double l2d_rng_normal(struct l2d_rng *r)
{
    double u1 = 1.0 - l2d_rng_uniform(r); /* (0, 1]: log is finite */
    double u2 = l2d_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

void l2d_rng_shuffle(struct l2d_rng *r, size_t *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)l2d_rng_below(r, (uint64_t)i);
        size_t tmp = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = tmp;
    }
}

/* FNV-1a over the tag, folded with the seed, then splitmix64 so nearby
 * seeds and tags land far apart. */
uint64_t l2d_seed_mix(uint64_t seed, const char *tag)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    if (tag)
        for (const unsigned char *p = (const unsigned char *)tag; *p; p++) {
            h ^= *p;
            h *= 0x100000001b3ULL;
        }
    uint64_t x = seed ^ splitmix64(&h);
    return splitmix64(&x);
}
