/* l2d's RNG (xoshiro256** seeded through splitmix64, framework/core/rng.c)
 * on the device, with jump-ahead, so that a kernel's thread for row i draws
 * exactly the numbers the host's sequential loop draws for row i: the host
 * draws a fixed count per row (stride), so row i starts at draw i * stride.
 *
 * xoshiro's state transition is linear over GF(2): a jump by n draws is the
 * 256 x 256 bit matrix M^n applied to the state. The host builds the tables
 * M^(2^k), k < L2D_XO_JUMP_BITS, once (as 256 columns of 4 words each, 8 KiB
 * a table), and a thread applies the tables of n's set bits. */
#ifndef L2D_XOSHIRO_JUMP_CUH
#define L2D_XOSHIRO_JUMP_CUH

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* Jumps up to 2^40 draws: rows x draws per row of any batch we run. */
#define L2D_XO_JUMP_BITS 40
#define L2D_XO_TABLE_WORDS ((size_t)L2D_XO_JUMP_BITS * 256 * 4)

__host__ __device__ static inline uint64_t l2d_xo_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

__host__ __device__ static inline uint64_t l2d_xo_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* l2d_rng_u64 */
__host__ __device__ static inline uint64_t l2d_xo_next(uint64_t *s)
{
    uint64_t result = l2d_xo_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = l2d_xo_rotl(s[3], 45);
    return result;
}

/* l2d_rng_uniform: [0, 1) on the 2^-53 grid */
__host__ __device__ static inline double l2d_xo_uniform(uint64_t *s)
{
    return (double)(l2d_xo_next(s) >> 11) * 0x1.0p-53;
}

/* l2d_rng_normal: Box-Muller, one value per call */
__device__ static inline double l2d_xo_normal(uint64_t *s)
{
    double u1 = 1.0 - l2d_xo_uniform(s);
    double u2 = l2d_xo_uniform(s);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * 3.14159265358979323846 * u2);
}

/* l2d_rng_seed */
__host__ __device__ static inline void l2d_xo_seed(uint64_t *s, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) s[i] = l2d_xo_splitmix64(&x);
}

/* The seed-independent half of l2d_seed_mix(seed, tag): splitmix64 of the
 * tag's FNV-1a hash, so that l2d_seed_mix(seed, tag) =
 * l2d_xo_seed_mix(seed, l2d_xo_tag_key(tag)) can run on the device. */
static inline uint64_t l2d_xo_tag_key(const char *tag)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)tag; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    return l2d_xo_splitmix64(&h);
}
__host__ __device__ static inline uint64_t l2d_xo_seed_mix(uint64_t seed, uint64_t key)
{
    uint64_t x = seed ^ key;
    return l2d_xo_splitmix64(&x);
}

/* v <- T v for a table T of 256 columns */
__host__ __device__ static inline void l2d_xo_apply(const uint64_t *T, uint64_t *v)
{
    uint64_t r0 = 0, r1 = 0, r2 = 0, r3 = 0;
    for (int w = 0; w < 4; w++) {
        uint64_t word = v[w];
        for (int b = 0; b < 64; b++) {
            if ((word >> b) & 1) {
                const uint64_t *c = T + 4 * (64 * w + b);
                r0 ^= c[0], r1 ^= c[1], r2 ^= c[2], r3 ^= c[3];
            }
        }
    }
    v[0] = r0, v[1] = r1, v[2] = r2, v[3] = r3;
}

/* The state n draws later (n < 2^L2D_XO_JUMP_BITS). */
__device__ static inline void l2d_xo_jump(uint64_t *s, uint64_t n, const uint64_t *tables)
{
    for (int k = 0; n && k < L2D_XO_JUMP_BITS; k++, n >>= 1)
        if (n & 1) l2d_xo_apply(tables + (size_t)k * 256 * 4, s);
}

/* The tables M^(2^k), k < L2D_XO_JUMP_BITS, built on the host:
 * L2D_XO_TABLE_WORDS words (malloc'ed; NULL when out of memory). */
static inline uint64_t *l2d_xo_tables_build(void)
{
    uint64_t *t = (uint64_t *)malloc(L2D_XO_TABLE_WORDS * sizeof *t);
    if (!t) return NULL;
    for (int b = 0; b < 256; b++) { /* column b of M: the step of e_b */
        uint64_t *c = t + 4 * b;
        c[0] = c[1] = c[2] = c[3] = 0;
        c[b / 64] = 1ULL << (b % 64);
        l2d_xo_next(c);
    }
    for (int k = 1; k < L2D_XO_JUMP_BITS; k++) { /* M^(2^k) = (M^(2^(k-1)))^2 */
        const uint64_t *p = t + (size_t)(k - 1) * 1024;
        uint64_t *q = t + (size_t)k * 1024;
        for (int b = 0; b < 256; b++) {
            for (int w = 0; w < 4; w++) q[4 * b + w] = p[4 * b + w];
            l2d_xo_apply(p, q + 4 * b);
        }
    }
    return t;
}

#endif
