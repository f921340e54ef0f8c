/* Deterministic randomness for the simulated experts, without state.
 *
 * An expert's answer for a row must not depend on which other rows are in
 * the same predict() call, on their order, or on how often it is asked: the
 * host may predict a split in batches and caches predictions. predict()
 * gets no split id or row number, so the stream of a row is derived from a
 * hash of (agent seed, the row's feature bytes). Two rows with identical
 * features therefore get identical draws; a perturbed row gets new ones. */
#ifndef L2D_AGENTS_ROWRNG_H
#define L2D_AGENTS_ROWRNG_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* splitmix64's finaliser: a bijective 64-bit mixer. */
static inline uint64_t rowrng_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* One splitmix64 step: the per-row generator. */
static inline uint64_t rowrng_next(uint64_t *s)
{
    *s += 0x9e3779b97f4a7c15ULL;
    return rowrng_mix(*s);
}

static inline uint64_t rowrng_hash_str(uint64_t h, const char *s)
{
    for (; s && *s; s++)
        h = rowrng_mix(h ^ (unsigned char)*s) + 0x9e3779b97f4a7c15ULL;
    return rowrng_mix(h);
}

/* Hash of a feature row. -0.0 and 0.0 hash alike (they compare equal). */
static inline uint64_t rowrng_hash_row(uint64_t h, const float *x, size_t dim)
{
    for (size_t j = 0; j < dim; j++) {
        uint32_t w = 0;
        if (x[j] != 0.0f)
            memcpy(&w, &x[j], sizeof w);
        h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
        h ^= h >> 29;
    }
    return rowrng_mix(h ^ (uint64_t)dim);
}

/* [0, 1) with 53 random bits. */
static inline double rowrng_uniform(uint64_t *s)
{
    return (double)(rowrng_next(s) >> 11) * 0x1.0p-53;
}

/* [0, n), unbiased (rejection of the short top range); n >= 1. */
static inline uint64_t rowrng_below(uint64_t *s, uint64_t n)
{
    uint64_t lim = -n % n; /* 2^64 mod n */
    for (;;) {
        uint64_t r = rowrng_next(s);
        if (r >= lim)
            return r % n;
    }
}
#endif
