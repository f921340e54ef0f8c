/* Gradient check of a surrogate plugin against central differences. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "host/plugin_check.h"

/* A local generator keeps the check's points independent of the engine's
 * RNG (and of its evolution). */
static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double uniform01(uint64_t *s) { return (double)(splitmix64(s) >> 11) * 0x1.0p-53; }

static double normal01(uint64_t *s)
{
    double u = uniform01(s), v = uniform01(s);
    return sqrt(-2 * log1p(-u)) * cos(2 * M_PI * v); /* 1 - u > 0 */
}

int l2d_surrogate_gradcheck(const struct l2d_surrogate_ops *ops, void *state, uint64_t seed,
                            int trials, size_t A, struct l2d_gradcheck *out,
                            struct l2d_error *err)
{
    if (!ops || !ops->loss)
        return l2d_seterr(err, L2D_EINVAL, "gradcheck: the surrogate has no loss op");
    if (trials < 1)
        return l2d_seterr(err, L2D_EINVAL, "gradcheck: trials = %d (must be >= 1)", trials);
    if (A < 2 || A > 4096)
        return l2d_seterr(err, L2D_EINVAL, "gradcheck: %zu agents (must be 2 .. 4096)", A);
    memset(out, 0, sizeof *out);
    const size_t B = 2 * A + 1;
    double *buf = malloc((3 * B * A + B) * sizeof *buf);
    if (!buf)
        return l2d_seterr(err, L2D_ENOMEM, "gradcheck: out of memory (%zu agents)", A);
    double *S = buf, *C = S + B * A, *G = C + B * A, *L = G + B * A;
    uint64_t rng = seed;
    double worst_ratio = -1;
    int rc = 0;
    for (int tr = 0; tr < trials; tr++) {
        for (size_t k = 0; k < A; k++) {
            S[k] = 2 * normal01(&rng);
            C[k] = uniform01(&rng);
        }
        /* rows 1 + 2k and 2 + 2k: r with r_k moved up and down by h_k */
        for (size_t b = 1; b < B; b++) {
            memcpy(S + b * A, S, A * sizeof *S);
            memcpy(C + b * A, C, A * sizeof *C);
        }
        for (size_t k = 0; k < A; k++) {
            const double h = 1e-5 * fmax(1, fabs(S[k]));
            S[(1 + 2 * k) * A + k] += h;
            S[(2 + 2 * k) * A + k] -= h;
        }
        struct l2d_error e2 = {0, ""};
        if ((rc = ops->loss(state, S, C, B, A, L, G, &e2))) {
            l2d_seterr(err, rc, "gradcheck trial %d: %s", tr, e2.msg);
            break;
        }
        int failed = 0;
        for (size_t k = 0; k < A; k++) {
            const double xp = S[(1 + 2 * k) * A + k], xm = S[(2 + 2 * k) * A + k];
            const double fd = (L[1 + 2 * k] - L[2 + 2 * k]) / (xp - xm), g = G[k];
            const double ae = fabs(g - fd), tol = 1e-5 + 1e-4 * fabs(fd);
            const double den = fmax(fabs(g), fabs(fd));
            const double re = den > 0 ? ae / den : (ae > 0 ? INFINITY : 0);
            /* NaN anywhere counts as a failure and as the worst case */
            int bad = !(ae <= tol);
            /* A kink within h (piecewise-linear losses such as rho-margin):
             * the central difference mixes the slopes of both sides, and any
             * value between the one-sided slopes is a valid subgradient. For
             * a smooth loss the two slopes differ by about h |f''|, so this
             * excuses nothing but rounding. */
            const double fwd = (L[1 + 2 * k] - L[0]) / (xp - S[k]);
            const double bwd = (L[0] - L[2 + 2 * k]) / (S[k] - xm);
            if (bad && isfinite(fwd) && isfinite(bwd) && fabs(fwd - bwd) > tol &&
                g >= fmin(fwd, bwd) - tol && g <= fmax(fwd, bwd) + tol) {
                out->kinks++;
                continue;
            }
            const double ratio = bad && !isfinite(ae) ? INFINITY : ae / tol;
            failed |= bad;
            if (!(ae <= out->max_abs_err))
                out->max_abs_err = isnan(ae) ? INFINITY : ae;
            if (!(re <= out->max_rel_err))
                out->max_rel_err = isnan(re) ? INFINITY : re;
            if (ratio > worst_ratio) {
                worst_ratio = ratio;
                out->worst_loss = L[0];
                snprintf(out->worst, sizeof out->worst,
                         "trial %d, agent %zu of %zu: gradient %.9g, central difference %.9g "
                         "(|diff| %.3g, tolerance %.3g, loss %.9g)",
                         tr, k, A, g, fd, ae, tol, L[0]);
            }
        }
        out->failures += failed;
        out->trials++;
    }
    free(buf);
    return rc;
}
