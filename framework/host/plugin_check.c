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

/* ---- is it a surrogate of the deferral loss? ----------------------------- */

/* "[0.12, 0.5, 0.93]" */
static void fmt_vec(char *buf, size_t cap, const double *v, size_t A)
{
    int n = snprintf(buf, cap, "[");
    for (size_t j = 0; j < A && n > 0 && (size_t)n < cap; j++)
        n += snprintf(buf + n, cap - (size_t)n, "%s%.3g", j ? ", " : "", v[j]);
    if (n > 0 && (size_t)n < cap) snprintf(buf + n, cap - (size_t)n, "]");
}

static size_t argmin_d(const double *v, size_t A)
{
    size_t b = 0;
    for (size_t j = 1; j < A; j++)
        if (v[j] < v[b]) b = j;
    return b;
}

int l2d_surrogate_sanity(const struct l2d_surrogate_ops *ops, void *state, uint64_t seed,
                         int trials, size_t A, struct l2d_sanity *out, struct l2d_error *err)
{
    if (!ops || !ops->loss) return l2d_seterr(err, L2D_EINVAL, "sanity: the surrogate has no loss op");
    if (trials < 1 || trials > 100000)
        return l2d_seterr(err, L2D_EINVAL, "sanity: trials = %d (must be 1 .. 100000)", trials);
    if (A < 2 || A > 64) return l2d_seterr(err, L2D_EINVAL, "sanity: %zu agents (must be 2 .. 64)", A);
    memset(out, 0, sizeof *out);
    out->has_infimum = ops->infimum != NULL;
    const size_t B = (size_t)trials;
    double *buf = malloc((5 * B * A + 3 * B) * sizeof *buf);
    if (!buf) return l2d_seterr(err, L2D_ENOMEM, "sanity: out of memory");
    double *C = buf, *R = C + B * A, *G = R + B * A, *R2 = G + B * A, *G2 = R2 + B * A;
    double *L = G2 + B * A, *L2 = L + B, *INF = L2 + B;
    size_t *cheap = malloc(B * sizeof *cheap);
    if (!cheap) {
        free(buf);
        return l2d_seterr(err, L2D_ENOMEM, "sanity: out of memory");
    }
    uint64_t rng = seed;
    for (size_t i = 0; i < B; i++) {
        double *c = C + i * A;
        for (;;) { /* a unique cheapest agent, by a clear margin */
            for (size_t j = 0; j < A; j++) c[j] = uniform01(&rng);
            size_t m = argmin_d(c, A);
            double second = INFINITY;
            for (size_t j = 0; j < A; j++)
                if (j != m && c[j] < second) second = c[j];
            if (second - c[m] >= 0.1) {
                cheap[i] = m;
                break;
            }
        }
        for (size_t j = 0; j < A; j++) R[i * A + j] = 0; /* equal scores: no agent favoured */
    }
    struct l2d_error e2 = {0, ""};
    int rc = 0;
    char cs[160], rs[160];
    if (ops->infimum && (rc = ops->infimum(state, C, B, A, INF, &e2)))
        l2d_seterr(err, rc, "sanity: infimum: %s", e2.msg);

    /* direction: equal scores (row i: all s_i), and random scores with the
     * cheapest lowered to the least; raise the cheapest by delta */
    static const double deltas[] = {1e-4, 1e-2};
    for (int pass = 0; !rc && pass < 1; pass++) {
        for (size_t i = 0; i < B; i++) {
            double s = normal01(&rng), lo = INFINITY;
            for (size_t j = 0; j < A; j++) {
                R2[i * A + j] = pass == 0 ? s : 2 * normal01(&rng);
                if (R2[i * A + j] < lo) lo = R2[i * A + j];
            }
            R2[i * A + cheap[i]] = lo;
        }
        if ((rc = ops->loss(state, R2, C, B, A, L, NULL, &e2))) {
            l2d_seterr(err, rc, "sanity: loss: %s", e2.msg);
            break;
        }
        for (size_t d = 0; !rc && d < sizeof deltas / sizeof *deltas; d++) {
            memcpy(G2, R2, B * A * sizeof *G2);
            for (size_t i = 0; i < B; i++) G2[i * A + cheap[i]] += deltas[d];
            if ((rc = ops->loss(state, G2, C, B, A, L2, NULL, &e2))) {
                l2d_seterr(err, rc, "sanity: loss: %s", e2.msg);
                break;
            }
            for (size_t i = 0; i < B; i++) {
                if (L2[i] <= L[i] + 1e-9 * (1 + fabs(L[i]))) continue;
                if (!out->direction_fail++) {
                    fmt_vec(cs, sizeof cs, C + i * A, A);
                    fmt_vec(rs, sizeof rs, R2 + i * A, A);
                    snprintf(out->direction_why, sizeof out->direction_why,
                             "raising the score of the cheapest agent %zu by %g raises the loss "
                             "from %.9g to %.9g (costs %s, scores %s): the loss must never push "
                             "queries away from the cheapest agent",
                             cheap[i], deltas[d], L[i], L2[i], cs, rs);
                }
            }
        }
    }

    /* minimise by gradient descent with a step per row found by
     * backtracking (Armijo): a step that does not lower the loss enough is
     * halved and not taken, one that does is taken and the next tried 1.5
     * times as long; the infimum is checked against every loss seen. From
     * A + 1 starts (equal scores; each agent ahead by 3), keeping the
     * lowest loss: a flat or non-convex surrogate (comp-sum with a large nu)
     * need not leave equal scores by its gradient alone. */
    const int steps = 4000;
    double *eta = malloc(B * sizeof *eta), *bestR = malloc(B * A * sizeof *bestR),
           *bestL = malloc(B * sizeof *bestL);
    unsigned char *above = calloc(B, 1);
    if ((!eta || !bestR || !bestL || !above) && !rc) rc = l2d_seterr(err, L2D_ENOMEM, "sanity: out of memory");
    for (size_t st = 0; !rc && st <= A; st++) {
    for (size_t i = 0; i < B; i++) {
        eta[i] = 1.0;
        for (size_t j = 0; j < A; j++) R[i * A + j] = st && j == st - 1 ? 3.0 : 0.0;
    }
    if ((rc = ops->loss(state, R, C, B, A, L, G, &e2)))
        l2d_seterr(err, rc, "sanity: loss while minimising: %s", e2.msg);
    for (int t = 0; !rc && t <= steps; t++) {
        for (size_t i = 0; ops->infimum && i < B; i++) {
            if (!(INF[i] > L[i] + 1e-9 * (1 + fabs(L[i]))) || above[i]) continue;
            above[i] = 1; /* counted once per cost vector */
            if (!out->infimum_above_fail++) {
                fmt_vec(cs, sizeof cs, C + i * A, A);
                fmt_vec(rs, sizeof rs, R + i * A, A);
                snprintf(out->infimum_why, sizeof out->infimum_why,
                         "the infimum %.9g is above the loss %.9g at scores %s (costs %s): the "
                         "infimum op must return the least value the loss takes over all scores",
                         INF[i], L[i], rs, cs);
            }
        }
        if (t == steps) break;
        for (size_t k = 0; k < B * A; k++) R2[k] = R[k] - eta[k / A] * (isfinite(G[k]) ? G[k] : 0);
        if ((rc = ops->loss(state, R2, C, B, A, L2, G2, &e2))) {
            l2d_seterr(err, rc, "sanity: loss while minimising: %s", e2.msg);
            break;
        }
        for (size_t i = 0; i < B; i++) {
            double g2 = 0;
            for (size_t j = 0; j < A; j++) g2 += G[i * A + j] * G[i * A + j];
            if (isfinite(L2[i]) && L2[i] <= L[i] - 1e-4 * eta[i] * g2) {
                memcpy(R + i * A, R2 + i * A, A * sizeof *R);
                memcpy(G + i * A, G2 + i * A, A * sizeof *G);
                L[i] = L2[i];
                eta[i] = fmin(eta[i] * 1.5, 1e6);
            } else {
                eta[i] = fmax(eta[i] * 0.5, 1e-12);
            }
        }
    }
    for (size_t i = 0; !rc && i < B; i++)
        if (st == 0 || L[i] < bestL[i]) {
            bestL[i] = L[i];
            memcpy(bestR + i * A, R + i * A, A * sizeof *R);
        }
    }
    if (!rc) {
        memcpy(R, bestR, B * A * sizeof *R);
        memcpy(L, bestL, B * sizeof *L);
    }
    free(eta);
    free(above);
    free(bestR);
    free(bestL);
    for (size_t i = 0; !rc && i < B; i++) {
        const double *r = R + i * A;
        size_t m = cheap[i];
        int top = 1;
        size_t other = m == 0 ? 1 : 0;
        for (size_t j = 0; j < A; j++)
            if (j != m && r[j] >= r[m]) {
                top = 0;
                other = j;
                break;
            }
        for (size_t j = 0; j < A; j++)
            if (j != m && r[j] > r[other]) other = j;
        if (!top && !out->consistency_fail++) {
            fmt_vec(cs, sizeof cs, C + i * A, A);
            fmt_vec(rs, sizeof rs, r, A);
            snprintf(out->consistency_why, sizeof out->consistency_why,
                     "minimising the loss over the scores sends the query to agent %zu (cost %.3g), "
                     "not to the cheapest agent %zu (cost %.3g): costs %s, minimising scores %s; "
                     "a deferral surrogate must be minimised by the cheapest agent's score being "
                     "the largest (is a cost weight's sign or index wrong?)",
                     other, C[i * A + other], m, C[i * A + m], cs, rs);
        }
        if (ops->infimum) {
            double gap = L[i] - INF[i];
            if (gap > out->max_gap) out->max_gap = gap;
            if (gap > 1e-2 * (1 + fabs(INF[i])) && !out->infimum_gap_fail++ && !out->infimum_above_fail) {
                fmt_vec(cs, sizeof cs, C + i * A, A);
                snprintf(out->infimum_why, sizeof out->infimum_why,
                         "the loss minimised over the scores stays at %.9g, %.3g above the "
                         "infimum %.9g the infimum op gives (costs %s): the infimum is too low, "
                         "or the loss is not minimised along its gradient",
                         L[i], gap, INF[i], cs);
            }
        }
    }
    out->trials = rc ? 0 : trials;
    free(cheap);
    free(buf);
    return rc;
}
