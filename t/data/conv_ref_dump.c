/* Dumps what t/data/conv_ref.py compares with PyTorch: for a CNN and
 * a ResNet-4 on 3x8x8 images (B = 4), the parameters and buffers (BatchNorm
 * made non-trivial), x and dy, then the training-mode forward, parameter
 * and input gradients and the running statistics after it, and the same in
 * evaluation mode. Raw float32 files in DIR. Not part of make check (no
 * PyTorch here): build with
 *   gcc -Iframework/include -I. t/data/conv_ref_dump.c framework/.libs/libl2d.so -lm
 * and run the script where PyTorch is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2d/model.h"

static int put(const char *dir, const char *model, const char *what, const float *v, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s_%s.f32", dir, model, what);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(v, sizeof *v, n, f) != n) return -1;
    return fclose(f);
}

static int dump(const char *dir, const char *name, const struct l2d_arch *a, size_t B)
{
    struct l2d_rng rng;
    struct l2d_error err = {0, ""};
    struct l2d_model *m = NULL;
    l2d_rng_seed(&rng, 99);
    if (l2d_model_create(&m, a, -1, &rng, &err)) {
        fprintf(stderr, "%s: %s\n", name, err.msg);
        return -1;
    }
    size_t np = l2d_model_n_params(m), nb = l2d_model_n_buffers(m), in = l2d_model_in(m),
           out = l2d_model_out(m);
    float *p = malloc(np * 4), *g = malloc(np * 4), *b = malloc(nb * 4), *x = malloc(B * in * 4),
          *dx = malloc(B * in * 4), *y = malloc(B * out * 4), *dy = malloc(B * out * 4);
    l2d_model_get_params_host(m, p, &err);
    l2d_model_get_buffers_host(m, b, &err);
    /* BatchNorm weight/bias and running statistics away from 1, 0, 0, 1: the
     * BN parameters are the ones equal to exactly 1 and 0 at init */
    for (size_t i = 0; i < nb; i++) b[i] = b[i] == 0.0f ? (float)(0.3 * l2d_rng_normal(&rng))
                                                        : (float)(0.5 + l2d_rng_uniform(&rng));
    for (size_t i = 0; i < np; i++)
        if (p[i] == 1.0f) p[i] = (float)(1.0 + 0.3 * l2d_rng_normal(&rng));
        else if (p[i] == 0.0f) p[i] = (float)(0.2 * l2d_rng_normal(&rng));
    l2d_model_set_params_host(m, p, &err);
    l2d_model_set_buffers_host(m, b, &err);
    for (size_t i = 0; i < B * in; i++) x[i] = (float)l2d_rng_normal(&rng);
    for (size_t i = 0; i < B * out; i++) dy[i] = (float)l2d_rng_normal(&rng);
    int rc = put(dir, name, "params", p, np) | put(dir, name, "buffers", b, nb) |
             put(dir, name, "x", x, B * in) | put(dir, name, "dy", dy, B * out);
    for (int train = 1; train >= 0 && !rc; train--) {
        l2d_model_train_mode(m, train, &err);
        l2d_model_zero_grad(m);
        rc = l2d_model_forward(m, x, B, y, &err) || l2d_model_backward(m, dy, B, dx, 1, &err);
        l2d_model_get_grads_host(m, g, &err);
        l2d_model_get_buffers_host(m, b, &err);
        const char *t = train ? "train" : "eval";
        char w[32];
        snprintf(w, sizeof w, "%s_y", t), rc |= put(dir, name, w, y, B * out);
        snprintf(w, sizeof w, "%s_grads", t), rc |= put(dir, name, w, g, np);
        snprintf(w, sizeof w, "%s_dx", t), rc |= put(dir, name, w, dx, B * in);
        snprintf(w, sizeof w, "%s_buffers", t), rc |= put(dir, name, w, b, nb);
    }
    if (rc) fprintf(stderr, "%s: %s\n", name, err.msg);
    l2d_model_destroy(m);
    free(p), free(g), free(b), free(x), free(dx), free(y), free(dy);
    return rc;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    const size_t ch[2] = {4, 6};
    const struct l2d_arch cnn = {.kind = L2D_ARCH_CNN, .out = 5, .in_c = 3, .in_h = 8, .in_w = 8,
                                 .n_channels = 2, .channels = ch};
    const struct l2d_arch res = {.kind = L2D_ARCH_RESNET4, .out = 5, .in_c = 3, .in_h = 8,
                                 .in_w = 8, .width = 6};
    return dump(dir, "cnn", &cnn, 4) || dump(dir, "resnet4", &res, 4);
}
