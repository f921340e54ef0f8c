/* An out-of-tree l2d surrogate: the squared-error comp-sum surrogate
 *
 *   Phi(r, c) = sum_j tau_j * (1 - s_j)^2,   s = softmax(r),
 *   tau_j = sum_{i != j} c_i  (MT Lemma 4.3's aggregated costs: large when
 *           every other agent is expensive, so picking j is rewarded)
 *
 * It is small on purpose: it shows everything a surrogate plugin needs.
 * Build: make (uses `pkg-config --cflags l2d`), then
 *   l2d plugin-check ./square.so
 *   l2d plugins --plugin-path . --kind surrogate
 * and name it in an experiment's [train] (surrogate = square, weight = ...),
 * with --plugin-path pointing here: see docs/writing-plugins.md.
 */
#include <math.h>
#include <stdlib.h>

#include <l2d/plugin.h>

struct square {
    double weight; /* a parameter, to show how they arrive */
};

static int square_create(const struct l2d_params *p, const struct l2d_host *host, void **state,
                         struct l2d_error *err)
{
    (void)host;
    struct square *s = malloc(sizeof *s);
    if (!s) return l2d_seterr(err, L2D_ENOMEM, "square: out of memory");
    s->weight = l2d_param_double(p, "weight", 1.0);
    *state = s;
    return L2D_OK;
}

/* loss[i] and grad[i][k] = d loss[i] / d r[i][k] for each of the B rows. */
static int square_loss(void *state, const double *scores, const double *costs, size_t B, size_t A,
                       double *loss, double *grad, struct l2d_error *err)
{
    const struct square *s = state;
    double sm[64], tau[64];
    if (A > 64) return l2d_seterr(err, L2D_EINVAL, "square: at most 64 agents");
    for (size_t i = 0; i < B; i++) {
        const double *r = scores + i * A, *c = costs + i * A;
        double mx = r[0], z = 0, total = 0;
        for (size_t j = 1; j < A; j++) mx = fmax(mx, r[j]);
        for (size_t j = 0; j < A; j++) z += sm[j] = exp(r[j] - mx); /* stable softmax */
        for (size_t j = 0; j < A; j++) sm[j] /= z, total += c[j];
        for (size_t j = 0; j < A; j++) tau[j] = total - c[j];
        double l = 0;
        for (size_t j = 0; j < A; j++) l += tau[j] * (1 - sm[j]) * (1 - sm[j]);
        loss[i] = s->weight * l;
        if (!isfinite(loss[i]))
            return l2d_seterr(err, L2D_ENUMERIC, "square: non-finite loss at row %zu", i);
        if (!grad) continue;
        /* dl/ds_j = -2 tau_j (1 - s_j);  ds_j/dr_k = s_j (delta_jk - s_k) */
        double dot = 0;
        for (size_t j = 0; j < A; j++) dot += -2 * tau[j] * (1 - sm[j]) * sm[j];
        for (size_t k = 0; k < A; k++)
            grad[i * A + k] = s->weight * (-2 * tau[k] * (1 - sm[k]) * sm[k] - sm[k] * dot);
    }
    return L2D_OK;
}

static void square_destroy(void *state) { free(state); }

static const struct l2d_surrogate_ops square_ops = {
    .struct_size = sizeof(struct l2d_surrogate_ops),
    .create = square_create,
    .loss = square_loss,
    .destroy = square_destroy,
};

static const struct l2d_param_spec square_params[] = {
    {"weight", L2D_PARAM_DOUBLE, "1", 0, 1e6, NULL, "multiplies the loss"},
    L2D_PARAMS_END,
};

static const struct l2d_plugin square_plugin = L2D_PLUGIN_HEADER(
    L2D_KIND_SURROGATE, "square", "1.0", "squared-error comp-sum surrogate (example plugin)",
    square_params, &square_ops);

const struct l2d_plugin *l2d_plugin_entry(unsigned index)
{
    return index == 0 ? &square_plugin : NULL;
}
