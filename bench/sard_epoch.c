/* bench/sard_epoch: CPU time of one SARD epoch (docs/math.md §6) on the
 * California Housing shape, through the real training loop and plugins:
 * l2d_train_rejector with the smooth-adv surrogate and the pgd attack,
 * loaded from the plugin registry like `l2d run` does.
 *
 * Defaults: 16512 rows x 8 standard-normal features, 4 agents with costs
 * |N(0,1)|, rejector MLP 8 -> 8 -> 16 -> 4 (ReLU), batch 8096, Adam lr 0.01,
 * weight decay 1e-4, smooth-adv nu 1, rho 1, adv_weight 0.05, pgd l_inf
 * eps 0.25, 10 steps of eps/10, no random start, no clamping.
 *
 * Prints key = value lines: the median (and min) seconds per epoch, the
 * rejector passes per epoch with the count docs/math.md §6 predicts for
 * this implementation, n (1 + A (T + 1)), and the train loss per epoch.
 * Exit status 1 when the pass count differs from that prediction.
 *
 * --dump FILE writes the data and the initial parameters (bench/sard_epoch.py
 * --load FILE reads them) so both sides can be checked on the same numbers:
 * with --batch equal to --rows the first epoch's loss depends on nothing
 * else. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/record.h"
#include "core/train.h"
#include "host/loader.h"
#include "host/params.h"
#include "l2d/device.h"
#include "l2d/engine.h"
#include "l2d/model.h"
#include "l2d/plugin.h"

struct opts {
    size_t n, dim, agents, batch;
    size_t hidden[8];
    int nh, epochs, threads, steps;
    double eps, adv_weight;
    uint64_t seed;
    const char *plugin_path, *dump, *device;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sard_epoch [--rows N] [--dim D] [--agents A] [--hidden 8,16] [--batch B]\n"
            "                  [--epochs E] [--threads T] [--steps S] [--eps X] [--adv-weight W]\n"
            "                  [--seed S] [--plugin-path DIRS] [--dump FILE] [--device cpu|cuda|cuda:N]\n");
}

static int parse_size(const char *s, size_t *out)
{
    char *e;
    errno = 0;
    unsigned long long v = strtoull(s, &e, 10);
    if (errno || e == s || *e || v == 0) return -1;
    *out = (size_t)v;
    return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){.n = 16512, .dim = 8, .agents = 4, .batch = 8096, .hidden = {8, 16},
                       .nh = 2, .epochs = 7, .threads = 2, .steps = 10, .eps = 0.25,
                       .adv_weight = 0.05, .seed = 1, .device = "cpu"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        size_t z;
        int bad = 0;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        }
        if (!v) {
            fprintf(stderr, "sard_epoch: %s needs a value\n", a);
            return -1;
        }
        if (!strcmp(a, "--rows")) bad = parse_size(v, &o->n);
        else if (!strcmp(a, "--dim")) bad = parse_size(v, &o->dim);
        else if (!strcmp(a, "--agents")) bad = parse_size(v, &o->agents);
        else if (!strcmp(a, "--batch")) bad = parse_size(v, &o->batch);
        else if (!strcmp(a, "--epochs")) bad = parse_size(v, &z) || z > 100000, o->epochs = (int)z;
        else if (!strcmp(a, "--threads")) bad = parse_size(v, &z) || z > 256, o->threads = (int)z;
        else if (!strcmp(a, "--steps")) bad = parse_size(v, &z) || z > 1000, o->steps = (int)z;
        else if (!strcmp(a, "--hidden")) bad = (o->nh = l2d_parse_sizes(v, o->hidden, 8)) < 0;
        else if (!strcmp(a, "--eps")) bad = l2d_parse_double(v, &o->eps) || o->eps < 0;
        else if (!strcmp(a, "--adv-weight"))
            bad = l2d_parse_double(v, &o->adv_weight) || o->adv_weight < 0;
        else if (!strcmp(a, "--seed")) bad = parse_size(v, &z), o->seed = z;
        else if (!strcmp(a, "--plugin-path")) o->plugin_path = v;
        else if (!strcmp(a, "--dump")) o->dump = v;
        else if (!strcmp(a, "--device")) o->device = v;
        else {
            fprintf(stderr, "sard_epoch: unknown option %s\n", a);
            usage(stderr);
            return -1;
        }
        if (bad) {
            fprintf(stderr, "sard_epoch: %s: bad value '%s'\n", a, v);
            return -1;
        }
        i++;
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Process CPU time (all threads) at the end of each epoch, through the
 * training loop's progress callback: on a busy machine wall time says more
 * about the neighbours than about the code. */
struct cpu_marks {
    double *t;
    int n;
    int dev;          /* CUDA device, or -1 */
    size_t mem_peak;  /* device memory in use, the largest at an epoch's end */
};

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void on_epoch(void *self, int epoch, int epochs, double train_loss, double val_risk)
{
    struct cpu_marks *c = self;
    (void)epochs, (void)train_loss, (void)val_risk;
    if (epoch >= 1 && epoch <= c->n) c->t[epoch] = cpu_now();
    size_t used;
    if (c->dev >= 0 && l2d_cuda_mem_used(c->dev, &used, NULL) == 0 && used > c->mem_peak)
        c->mem_peak = used;
}

static double median_of(double *v, size_t m)
{
    qsort(v, m, sizeof *v, cmp_double);
    return m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
}


/* A plugin instance from the registry with (key, value) parameters. */
static int create_plugin(const struct l2d_registry *reg, enum l2d_kind kind, const char *name,
                         size_t np, const char *const *keys, const char *const *vals,
                         const struct l2d_host *host, const void **ops, void **state,
                         struct l2d_error *err)
{
    const struct l2d_loaded *pl = l2d_registry_find(reg, kind, name);
    if (!pl)
        return l2d_seterr(err, L2D_EINVAL, "no %s plugin '%s' on the plugin path",
                          l2d_kind_name(kind), name);
    struct l2d_params p;
    int rc = l2d_params_build(pl->desc->params, np, keys, vals, NULL, 0, &p, err);
    if (rc) return rc;
    *ops = pl->desc->ops;
    if (kind == L2D_KIND_SURROGATE)
        rc = ((const struct l2d_surrogate_ops *)*ops)->create(&p, host, state, err);
    else
        rc = ((const struct l2d_attack_ops *)*ops)->create(&p, host, state, err);
    l2d_params_free(&p);
    return rc;
}

/* Little-endian host assumed (x86-64): header of 5 uint64 (n, dim, agents,
 * n_layers, n_params), dims[n_layers + 1] uint64, x float32[n][dim],
 * c float64[n][A], params float32 in the MLP's layout (per layer W[out][in]
 * row-major, then b: PyTorch's nn.Linear layout). */
static int dump(const char *path, const struct opts *o, struct l2d_model *m, const float *x,
                const double *c, size_t n)
{
    const size_t in = l2d_model_in(m), out = l2d_model_out(m), np = l2d_model_n_params(m);
    struct l2d_error err = {0, ""};
    float *p = malloc(np * sizeof *p);
    if (!p || l2d_model_get_params_host(m, p, &err)) {
        fprintf(stderr, "sard_epoch: %s: %s\n", path, p ? err.msg : "out of memory");
        free(p);
        return -1;
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "sard_epoch: %s: %s\n", path, strerror(errno));
        free(p);
        return -1;
    }
    uint64_t h[5] = {n, in, out, (uint64_t)o->nh + 1, np};
    int ok = fwrite(h, sizeof h[0], 5, f) == 5;
    for (int l = 0; ok && l <= o->nh + 1; l++) {
        uint64_t d = l == 0 ? in : l <= o->nh ? o->hidden[l - 1] : out;
        ok = fwrite(&d, sizeof d, 1, f) == 1;
    }
    ok = ok && fwrite(x, sizeof *x, n * in, f) == n * in;
    ok = ok && fwrite(c, sizeof *c, n * out, f) == n * out;
    ok = ok && fwrite(p, sizeof *p, np, f) == np;
    ok = (fclose(f) == 0) && ok;
    if (!ok) fprintf(stderr, "sard_epoch: %s: write failed\n", path);
    free(p);
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct opts o;
    if (parse_opts(argc, argv, &o)) return 2;
    const size_t n = o.n, D = o.dim, A = o.agents;
    struct l2d_error err = {0, ""};
    struct l2d_registry reg;
    memset(&reg, 0, sizeof reg);
    struct l2d_model *rej = NULL;
    float *params = NULL;
    void *sst = NULL, *ast = NULL;
    const struct l2d_surrogate_ops *sops = NULL;
    const struct l2d_attack_ops *aops = NULL;
    int status = 1, rc;

    l2d_set_threads(o.threads);
    float *x = malloc(n * D * sizeof *x);
    double *c = malloc(n * A * sizeof *c);
    struct l2d_epoch_rec *ep = calloc((size_t)o.epochs, sizeof *ep);
    double *secs = malloc((size_t)o.epochs * sizeof *secs);
    double *cpu = malloc(((size_t)o.epochs + 1) * sizeof *cpu);
    if (!x || !c || !ep || !secs || !cpu) {
        fprintf(stderr, "sard_epoch: out of memory\n");
        goto out;
    }
    struct l2d_rng rng;
    l2d_rng_seed(&rng, l2d_seed_mix(o.seed, "bench.data"));
    for (size_t k = 0; k < n * D; k++) x[k] = (float)l2d_rng_normal(&rng);
    for (size_t k = 0; k < n * A; k++) c[k] = fabs(l2d_rng_normal(&rng));
    l2d_rng_seed(&rng, l2d_seed_mix(o.seed, "bench.init"));
    const struct l2d_arch arch = {.kind = L2D_ARCH_MLP, .in = D, .out = A, .n_hidden = (size_t)o.nh, .hidden = o.hidden};
    int dev = -1;
    size_t mem0 = 0; /* device memory in use before the run: the context, other processes */
    if ((rc = l2d_device_parse(o.device, &dev, &err))) goto fail;
    if (dev >= 0 && (rc = l2d_cuda_mem_used(dev, &mem0, &err))) goto fail;
    if ((rc = l2d_model_create(&rej, &arch, dev, &rng, &err))) goto fail;
    if (o.dump && dump(o.dump, &o, rej, x, c, n)) goto out;

    if ((rc = l2d_registry_default(&reg, o.plugin_path, &err))) goto fail;
    struct l2d_host host = {sizeof host, o.seed, ".", NULL, NULL};
    char eps[64], steps[32], aw[64];
    snprintf(eps, sizeof eps, "%.17g", o.eps);
    snprintf(steps, sizeof steps, "%d", o.steps);
    snprintf(aw, sizeof aw, "%.17g", o.adv_weight);
    const char *akeys[] = {"norm", "eps", "steps", "step", "random_start", "clamp"};
    const char *avals[] = {"inf", eps, steps, "0", "false", "false"};
    const char *skeys[] = {"nu", "rho", "adv_weight"};
    const char *svals[] = {"1", "1", aw};
    if ((rc = create_plugin(&reg, L2D_KIND_ATTACK, "pgd", 6, akeys, avals, &host,
                            (const void **)&aops, &ast, &err)))
        goto fail;
    if ((rc = create_plugin(&reg, L2D_KIND_SURROGATE, "smooth-adv", 3, skeys, svals, &host,
                            (const void **)&sops, &sst, &err)))
        goto fail;

    struct l2d_attack_handle atk = {aops, ast};
    struct l2d_surrogate_inst sur = {sops, sst, "smooth-adv", &atk, NULL, NULL, NULL, NULL};
    struct l2d_train_cfg cfg = {.epochs = o.epochs, .batch = o.batch, .lr = 0.01,
                                .optimizer = L2D_OPT_ADAM, .weight_decay = 1e-4,
                                .warmup = 0, .cosine = 0, .select_best = 0, .seed = o.seed};
    struct l2d_train_result res;
    struct cpu_marks marks = {cpu, o.epochs, dev, mem0};
    cpu[0] = cpu_now();
    if ((rc = l2d_train_rejector(&cfg, rej, &sur, &(struct l2d_data){n, D, x, NULL, NULL, 0}, c,
                                 NULL, NULL, ep, &res, on_epoch, &marks, &err)))
        goto fail;

    /* FNV-1a of the final parameters' bytes: equal hashes, equal bits */
    const size_t np = l2d_model_n_params(rej);
    if (!(params = malloc(np * sizeof *params))) {
        fprintf(stderr, "sard_epoch: out of memory\n");
        goto out;
    }
    if ((rc = l2d_model_get_params_host(rej, params, &err))) goto fail;
    uint64_t hsh = 1469598103934665603ULL;
    const unsigned char *pb = (const unsigned char *)params;
    for (size_t k = 0; k < np * sizeof *params; k++) hsh = (hsh ^ pb[k]) * 1099511628211ULL;

    /* the first epoch pays for page faults and buffer growth */
    const int skip = o.epochs > 2 ? 1 : 0;
    const size_t m = (size_t)(o.epochs - skip);
    for (int e = 0; e < o.epochs; e++) secs[e] = ep[e].seconds;
    const double med = median_of(secs + skip, m), mn = secs[skip];
    for (int e = 0; e < o.epochs; e++) secs[e] = cpu[e + 1] - cpu[e];
    const double cmed = median_of(secs + skip, m);
    const uint64_t per_epoch = res.passes / (uint64_t)o.epochs;
    const uint64_t want = (uint64_t)n * (1 + (uint64_t)A * (uint64_t)(o.steps + 1));
    const int smooth = o.adv_weight > 0 && A >= 2;
    printf("impl = l2d\n");
    printf("shape = rows %zu, dim %zu, agents %zu, hidden", n, D, A);
    for (int k = 0; k < o.nh; k++) printf("%s%zu", k ? "," : " ", o.hidden[k]);
    printf(", batch %zu, pgd%d eps %g, adv_weight %g\n", o.batch, o.steps, o.eps, o.adv_weight);
    printf("threads = %d\n", o.threads);
    printf("device = %s\n", o.device);
    /* the rise of the device's memory in use over its value before the run,
     * sampled at the end of each epoch (buffers are kept through the run, so
     * that is where it peaks); includes what cudaMalloc rounds up, unlike
     * PyTorch's max_memory_allocated, which counts tensors' bytes */
    if (dev >= 0) printf("peak_gpu_bytes = %zu\n", marks.mem_peak - mem0);
    printf("epochs_timed = %zu (of %d; the first is warm-up)\n", m, o.epochs);
    printf("epoch_seconds_median = %.6f\n", med);
    printf("epoch_seconds_min = %.6f\n", mn);
    printf("epoch_cpu_seconds_median = %.6f\n", cmed);
    printf("params_hash = %016llx\n", (unsigned long long)hsh);
    printf("passes_per_epoch = %llu\n", (unsigned long long)per_epoch);
    printf("passes_expected = %llu\n", (unsigned long long)(smooth ? want : n));
    for (int e = 0; e < o.epochs; e++)
        printf("epoch %d: train_loss = %.9g, seconds = %.6f, cpu_seconds = %.6f\n", e + 1,
               ep[e].train_loss, ep[e].seconds, cpu[e + 1] - cpu[e]);
    status = per_epoch == (smooth ? want : n) ? 0 : 1;
    if (status) fprintf(stderr, "sard_epoch: pass count differs from n (1 + A (T + 1))\n");
    goto out;
fail:
    fprintf(stderr, "sard_epoch: %s\n", err.msg);
out:
    if (sops && sst) sops->destroy(sst);
    if (aops && ast) aops->destroy(ast);
    l2d_model_destroy(rej);
    free(params);
    l2d_registry_free(&reg);
    free(x);
    free(c);
    free(ep);
    free(secs);
    free(cpu);
    return status;
}
