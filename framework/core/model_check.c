/* See model_check.h. A CPU model is read in place (a copy per batch would
 * cost as much as a small model's step); another backend's values are
 * copied to the host, correct but slow, until it checks on its device. */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "core/model_check.h"
#include "core/model_impl.h"

static int all_finite(const float *v, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!isfinite(v[k])) return 0;
    return 1;
}

int l2d_model_all_finite(struct l2d_model *m, enum l2d_model_part part, int *finite,
                         struct l2d_error *err)
{
    if (!m || !finite) return l2d_seterr(err, L2D_EINVAL, "model check: NULL argument");
    if (m->be == &l2d_model_backend_cpu) {
        *finite = all_finite(part == L2D_MODEL_GRADS ? m->be->grads(m) : m->be->params(m),
                             m->n_params);
        return 0;
    }
    float *h = malloc((m->n_params ? m->n_params : 1) * sizeof *h);
    if (!h) return l2d_seterr(err, L2D_ENOMEM, "model check: cannot allocate %zu values", m->n_params);
    int rc = part == L2D_MODEL_GRADS ? l2d_model_get_grads_host(m, h, err)
                                     : l2d_model_get_params_host(m, h, err);
    if (!rc) *finite = all_finite(h, m->n_params);
    free(h);
    return rc;
}
