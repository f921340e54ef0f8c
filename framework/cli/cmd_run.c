/* `l2d run CONFIG`: run an experiment's sweep into its database. */
#include "config.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include "host/device_desc.h"

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "core/train.h"
#include "host/params.h"
#include "host/runner.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: l2d run CONFIG.ini [options]\n"
            "Run every cell of the experiment (methods x [sweep] x seeds) and record each\n"
            "finished run in the SQLite database; cells already done are skipped.\n"
            "  --set SECTION.KEY=VALUE  override a configuration value (repeatable); a key the\n"
            "                           [sweep] sweeps (or a [method.*] overrides) is taken out\n"
            "                           of the sweep: every cell runs with VALUE (checked like any\n"
            "                           value); --dry-run shows the cells\n"
            "  --unset SECTION.KEY      remove a key, e.g. a parameter another surrogate lacks\n"
            "  --db PATH                database (default: [experiment] db, or results/NAME.db)\n"
            "  --device DEV             cpu, cuda (the first CUDA device) or cuda:N: where the\n"
            "                           rejectors train (default: [experiment] device, or cpu);\n"
            "                           l2d devices lists them. Each run records its device; the\n"
            "                           device is not part of a cell's identity, so cells done on\n"
            "                           one device are not run again on another\n"
            "  --plugin-path DIRS       search these ':'-separated directories for plugins first\n"
            "  --shard I/N              run only cells k with k %% N == I (0-based): every cell\n"
            "                           is in exactly one of the N shards\n"
            "  --jobs K                 run K worker processes on this machine (default 1; with\n"
            "                           --devices, one per device unless given)\n"
            "  --devices LIST           worker k trains on device LIST[k %% n] (0,1 = cuda:0,cuda:1;\n"
            "                           cpu and cuda:N also taken)\n"
            "  --dry-run                validate the configuration and list the cells, each as\n"
            "                           done, failed or to run in the database\n"
            "  --quiet                  no progress output\n"
            "Any number of `l2d run` of one configuration may share one database (on one\n"
            "machine or a local disk; not over NFS): each cell is claimed before it is\n"
            "trained, and a claim whose process died lapses (at once on the same host,\n"
            "else after L2D_CLAIM_LEASE seconds, default 300), so rerunning resumes.\n"
            "A cell is its settings: adding a seed or a sweep value, reordering a list or\n"
            "editing a comment reruns nothing done; changing a setting reruns its cells.\n"
            "On a terminal, one status line (run i of n, the cell, its epoch, an estimate of\n"
            "the sweep's time left from the mean of the runs finished so far) is redrawn in\n"
            "place, cut to the terminal's width; each finished run keeps a line.\n"
            "[experiment] threads = N: CPU threads of a run (default 1). The small-MLP path\n"
            "gives the same bits for any N, but the OpenBLAS GEMM path (wider models, CNNs,\n"
            "CPUs without AVX2) does not, and threads is no setting of a cell (a rerun with\n"
            "another N counts as done), so the default does not follow the machine.\n"
            "Ctrl-C (SIGINT) or SIGTERM stops the run in training (it is not recorded: a\n"
            "rerun trains it) and ends the sweep; a second one stops at once.\n"
            "Exit status: 0 all runs done, 1 a run failed (recorded as failed), 2 bad usage,\n"
            "configuration or device (nothing ran, nothing written), 130 interrupted\n"
            "(SIGINT), 143 terminated (SIGTERM).\n");
}

/* What l2d run shows. On a terminal (one worker), one status line redrawn in
 * place: run i of n, the cell, its epoch and an estimate of the time the
 * sweep has left, cut to the terminal's width (never wrapped, so that "\r"
 * redraws it); each finished run then gets a line of its own. Not on a
 * terminal: one line per run. */
struct view {
    int tty, quiet;
    int line_open;
    const char *who;    /* "[w1] " with --jobs, else "" */
    double cell_t0;     /* when the current cell started (monotonic) */
    double spent;       /* seconds of the cells finished in this invocation */
    size_t finished;
};

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Columns of the terminal on stderr: TIOCGWINSZ, else $COLUMNS (a terminal
 * whose size was never set, e.g. a pseudo-terminal says 0), else 80. */
static int term_width(void)
{
    struct winsize ws;
    if (!ioctl(2, TIOCGWINSZ, &ws) && ws.ws_col > 0) return ws.ws_col;
    const char *c = getenv("COLUMNS");
    long n = c ? strtol(c, NULL, 10) : 0;
    return n > 0 && n < 10000 ? (int)n : 80;
}

/* Columns a UTF-8 string takes (one per character), and the bytes of its
 * first `cols` columns. */
static size_t columns(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static size_t prefix_bytes(const char *s, size_t cols)
{
    size_t b = 0;
    for (size_t n = 0; s[b]; b++) {
        if (((unsigned char)s[b] & 0xC0) != 0x80 && n++ == cols) break;
    }
    return b;
}

/* "ETA --" before any cell of this invocation finished; then the mean time
 * of the finished cells times the cells left, less the current cell's time. */
static void eta_text(const struct view *v, const struct l2d_run_event *ev, char *out, size_t len)
{
    if (!v->finished) {
        snprintf(out, len, "ETA --");
        return;
    }
    double mean = v->spent / (double)v->finished, cur = now_mono() - v->cell_t0;
    double left = mean * (double)ev->nleft + (cur < mean ? mean - cur : 0);
    long s = (long)(left + 0.5);
    if (s < 60) snprintf(out, len, "ETA %lds", s);
    else if (s < 3600) snprintf(out, len, "ETA %ldm%02lds", s / 60, s % 60);
    else snprintf(out, len, "ETA %ldh%02ldm", s / 3600, s / 60 % 60);
}

/* The status line: "[run i/n ETA t] CELL  WHAT  EXTRA", fitted to the width
 * less one column (a line that fills the last column wraps on some
 * terminals): EXTRA goes first, then the cell's end, then whatever is left. */
static void draw_status(struct view *v, const struct l2d_run_event *ev, const char *what, const char *extra)
{
    char eta[32], head[96], line[1024];
    eta_text(v, ev, eta, sizeof eta);
    snprintf(head, sizeof head, "[run %zu/%zu %s] ", ev->cell, ev->ntodo, eta);
    size_t width = (size_t)term_width(), room = width > 1 ? width - 1 : 1;
    const char *cell = ev->cell_id ? ev->cell_id : "";
    size_t fixed = columns(head) + columns(what);
    if (fixed + columns(cell) + columns(extra) <= room) {
        snprintf(line, sizeof line, "%s%s%s%s", head, cell, what, extra);
    } else if (fixed + columns(cell) <= room) {
        snprintf(line, sizeof line, "%s%s%s", head, cell, what);
    } else if (fixed + 4 <= room) { /* the cell's start and "..." */
        snprintf(line, sizeof line, "%s%.*s...%s", head, (int)prefix_bytes(cell, room - fixed - 3), cell, what);
    } else {
        snprintf(line, sizeof line, "%s%s%s", head, cell, what);
    }
    line[prefix_bytes(line, room)] = 0;
    fprintf(stderr, "\r\033[K%s", line);
    v->line_open = 1;
}

static void end_line(struct view *v)
{
    if (v->line_open) fputs(v->tty ? "\r\033[K" : "\n", stderr);
    v->line_open = 0;
}

static void on_event(void *self, const struct l2d_run_event *ev)
{
    struct view *v = self;
    if (v->quiet) return;
    char what[L2D_ERRMSG_MAX + 64], extra[96];
    switch (ev->kind) {
    case L2D_EV_PLAN:
        fprintf(stderr, "%sl2d run: %s\n", v->who, ev->message);
        break;
    case L2D_EV_CELL_STATUS:
        fprintf(stderr, "[cell %zu/%zu] %s: %s\n", ev->cell, ev->ntodo, ev->cell_id, ev->message);
        break;
    case L2D_EV_CELL_START:
        v->cell_t0 = now_mono();
        if (v->tty) draw_status(v, ev, "", "");
        break;
    case L2D_EV_STAGE:
        if (!ev->cell_id) {
            end_line(v);
            fprintf(stderr, "%sl2d run: %s\n", v->who, ev->message);
        } else if (v->tty) {
            snprintf(what, sizeof what, ": %s", ev->message);
            draw_status(v, ev, what, "");
        }
        break;
    case L2D_EV_EPOCH:
        if (v->tty) {
            snprintf(what, sizeof what, "  epoch %d/%d", ev->epoch, ev->epochs);
            snprintf(extra, sizeof extra, "  loss %.4g  val risk %.4g", ev->loss, ev->risk);
            draw_status(v, ev, what, extra);
        }
        break;
    case L2D_EV_CELL_DONE:
        v->spent += now_mono() - v->cell_t0;
        v->finished++;
        end_line(v);
        fprintf(stderr, "%s[run %zu/%zu] %s: done (%s)\n", v->who, ev->cell, ev->ntodo, ev->cell_id, ev->message);
        break;
    case L2D_EV_CELL_SKIP:
        end_line(v);
        fprintf(stderr, "%s[run %zu/%zu] %s: %s, skipped\n", v->who, ev->cell, ev->ntodo, ev->cell_id, ev->message);
        break;
    case L2D_EV_NOTICE:
        end_line(v);
        fprintf(stderr, "l2d run: note: %s\n", ev->message);
        break;
    case L2D_EV_CELL_FAIL:
        v->spent += now_mono() - v->cell_t0;
        v->finished++;
        end_line(v);
        fprintf(stderr, "%s[run %zu/%zu] %s: FAILED: %s\n", v->who, ev->cell, ev->ntodo, ev->cell_id, ev->message);
        break;
    }
    fflush(stderr);
}

static void free_strings(char **s, size_t n)
{
    for (size_t k = 0; k < n; k++) free(s[k]);
    free(s);
}

/* The first SIGINT or SIGTERM: the run in training stops and the sweep ends
 * (runner.c: the interrupted cell is not recorded, its claim is dropped);
 * l2d run then exits 128 + the signal (130, 143), as a shell says a process
 * the signal ended. */
static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
    l2d_interrupted = 1;
    if (!caught) caught = sig;
    signal(sig, SIG_DFL); /* a second Ctrl-C (or SIGTERM) stops at once */
}

/* "I/N" with 0 <= I < N < 2^32, digits only (sscanf's %u would take "-1"
 * and wrap a number too large for unsigned: 4294967296/4294967297 ran
 * every cell as shard 0/1). */
static int parse_shard(const char *text, unsigned *index, unsigned *count)
{
    const char *slash = strchr(text, '/');
    if (!slash || slash == text || !slash[1]) return -1;
    unsigned long long v[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        const char *p = k ? slash + 1 : text, *end = k ? p + strlen(p) : slash;
        for (; p < end; p++) {
            if (*p < '0' || *p > '9') return -1;
            v[k] = 10 * v[k] + (unsigned long long)(*p - '0');
            if (v[k] > UINT_MAX) return -1;
        }
    }
    if (v[1] == 0 || v[0] >= v[1]) return -1;
    *index = (unsigned)v[0];
    *count = (unsigned)v[1];
    return 0;
}

/* "0,1" -> cuda:0, cuda:1; cpu and cuda:N taken as they are. */
static int parse_devices(const char *text, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    char *t = strdup(text);
    if (!t) return -1;
    int rc = 0;
    for (char *save = NULL, *it = strtok_r(t, ",", &save); it && !rc; it = strtok_r(NULL, ",", &save)) {
        while (*it == ' ') it++;
        char buf[64];
        size_t d = strspn(it, "0123456789");
        if (d && !it[d] && d < 10) snprintf(buf, sizeof buf, "cuda:%s", it);
        else snprintf(buf, sizeof buf, "%s", it);
        char **nv = realloc(*out, (*n + 1) * sizeof **out);
        if (!nv) rc = -1;
        else {
            *out = nv;
            if (!l2d_device_spec_ok(buf) || !((*out)[*n] = strdup(buf))) rc = -1;
            else (*n)++;
        }
    }
    free(t);
    if (!rc && !*n) rc = -1;
    return rc;
}

static pid_t workers[1024];
static long nworkers;

static void forward(int sig)
{
    l2d_interrupted = 1;
    if (!caught) caught = sig;
    for (long k = 0; k < nworkers; k++)
        if (workers[k] > 0) kill(workers[k], sig);
}

/* A worker's: a Ctrl-C on a terminal reaches the whole process group, and
 * the parent passes it on too (for a signal sent to it alone), so a worker
 * gets the one signal twice; only one more than half a second after the
 * first stops it at once. */
static double first_signal;

static void on_worker_signal(int sig)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double t = (double)ts.tv_sec + ts.tv_nsec * 1e-9;
    if (!caught) {
        caught = sig;
        l2d_interrupted = 1;
        first_signal = t;
    } else if (t - first_signal > 0.5) {
        signal(sig, SIG_DFL);
        raise(sig);
    }
}

/* --jobs K: K processes on one database; they share the cells through
 * claims. The exit status is the worst of the workers'. */
static int run_workers(const struct l2d_run_opts *base, struct view *view, long njobs, char **devs, size_t ndevs)
{
    fflush(stderr);
    nworkers = 0;
    for (long k = 0; k < njobs; k++) {
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "l2d run: cannot start worker %ld: %s\n", k, strerror(errno));
            break;
        }
        if (pid == 0) {
            signal(SIGINT, on_worker_signal);
            signal(SIGTERM, on_worker_signal);
            char who[32];
            snprintf(who, sizeof who, "[w%ld] ", k);
            struct view v = *view;
            v.who = who;
            struct l2d_run_opts o = *base;
            o.event_self = &v;
            if (devs) o.device = devs[(size_t)k % ndevs];
            o.worker_index = (unsigned)k;
            o.worker_count = (unsigned)njobs;
            struct l2d_run_summary sum;
            struct l2d_error err = {0};
            int rc = l2d_run_experiment(&o, &sum, &err);
            if (rc) fprintf(stderr, "%sl2d run: %s\n", who, err.msg);
            else if (!v.quiet)
                fprintf(stderr, "%sl2d run: %zu ran, %zu already done; results in %s\n", who, sum.ran, sum.skipped,
                        sum.db_path);
            fflush(stderr);
            _exit(caught ? 128 + caught : rc ? (sum.started ? 1 : 2) : 0);
        }
        workers[nworkers++] = pid;
    }
    signal(SIGINT, forward);
    signal(SIGTERM, forward);
    int worst = nworkers < njobs ? 1 : 0;
    for (long k = 0; k < nworkers; k++) {
        int status;
        while (waitpid(workers[k], &status, 0) < 0 && errno == EINTR) {}
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
        if (code > worst) worst = code;
        workers[k] = 0;
    }
    return caught ? 128 + caught : worst;
}

int l2d_cmd_run(int argc, char **argv)
{
    const char *config = NULL, *db = NULL, *ppath = NULL, *shard = NULL, *device = NULL, *jobs = NULL,
               *devices = NULL;
    const char **sets = calloc((size_t)argc, sizeof *sets);
    char **unsets = calloc((size_t)argc, sizeof *unsets); /* the strings --unset made */
    size_t nsets = 0, nunsets = 0;
    int dry = 0, quiet = 0;
    if (!sets || !unsets) {
        free(sets);
        free(unsets);
        return fprintf(stderr, "l2d run: out of memory\n"), 1;
    }
    int rc = 0;
    for (int k = 1; k < argc && !rc; k++) {
        const char *v;
        if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) {
            usage(stdout);
            rc = -1;
            break;
        }
        if (!strcmp(argv[k], "--dry-run")) dry = 1;
        else if (!strcmp(argv[k], "--quiet") || !strcmp(argv[k], "-q")) quiet = 1;
        else if (cli_opt_value(argc, argv, &k, "--set", &v)) {
            if (v == CLI_MISSING) rc = cli_usage_error("run", "--set needs SECTION.KEY=VALUE");
            else sets[nsets++] = v;
        } else if (cli_opt_value(argc, argv, &k, "--unset", &v)) {
            char *u = NULL;
            if (v == CLI_MISSING) rc = cli_usage_error("run", "--unset needs SECTION.KEY");
            else if (!(u = malloc(strlen(v) + 2))) rc = 1;
            else {
                sprintf(u, "-%s", v);
                sets[nsets++] = unsets[nunsets++] = u;
            }
        } else if (cli_opt_value(argc, argv, &k, "--db", &db) ||
                   cli_opt_value(argc, argv, &k, "--plugin-path", &ppath) ||
                   cli_opt_value(argc, argv, &k, "--shard", &shard) ||
                   cli_opt_value(argc, argv, &k, "--device", &device) ||
                   cli_opt_value(argc, argv, &k, "--jobs", &jobs) ||
                   cli_opt_value(argc, argv, &k, "--devices", &devices)) {
            if (db == CLI_MISSING || ppath == CLI_MISSING || shard == CLI_MISSING || device == CLI_MISSING ||
                jobs == CLI_MISSING || devices == CLI_MISSING)
                rc = cli_usage_error("run", "%s needs a value", argv[k]); /* k was not advanced */
        } else if (argv[k][0] == '-') rc = cli_usage_error("run", "unknown option '%s'", argv[k]);
        else if (config) rc = cli_usage_error("run", "one configuration file at a time");
        else config = argv[k];
    }
    if (rc == -1) {
        free_strings(unsets, nunsets);
        free(sets);
        return 0;
    }
    if (!rc && !config) rc = cli_usage_error("run", "which configuration file?");
    if (!rc) rc = cli_plugin_path_check("run", ppath);
    unsigned si = 0, sn = 0;
    if (!rc && shard && parse_shard(shard, &si, &sn))
        rc = cli_usage_error("run", "--shard takes I/N with 0 <= I < N, not '%s'", shard);
    if (rc) {
        free_strings(unsets, nunsets);
        free(sets);
        return rc;
    }
    /* --jobs / --devices */
    long njobs = 1;
    char **devs = NULL;
    size_t ndevs = 0;
    if (!rc && jobs) {
        char *end;
        njobs = strtol(jobs, &end, 10);
        if (*end || njobs < 1 || njobs > 1024) rc = cli_usage_error("run", "--jobs takes 1 to 1024, not '%s'", jobs);
    }
    if (!rc && devices && device) rc = cli_usage_error("run", "--device or --devices, not both");
    if (!rc && devices && parse_devices(devices, &devs, &ndevs))
        rc = cli_usage_error("run", "--devices takes a comma-separated list of 0, 1, ... (or cpu, cuda:N), not '%s'",
                             devices);
    if (!rc && devices && !jobs) njobs = (long)ndevs;
    if (rc) {
        free_strings(devs, ndevs);
        free_strings(unsets, nunsets);
        free(sets);
        return rc;
    }
    double lease = 0;
    const char *le = getenv("L2D_CLAIM_LEASE");
    if (le && *le) lease = atof(le);
    struct view view = {.tty = isatty(2) && njobs == 1, .quiet = quiet, .who = ""};
    struct l2d_run_opts o = {config, sets, nsets, db, ppath, si, sn, dry, on_event, &view, device, lease, 0, 0};
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (njobs > 1 || devs) {
        for (long k = 0; k < njobs && !quiet; k++)
            fprintf(stderr, "l2d run: worker %ld: --device %s\n", k, devs ? devs[(size_t)k % ndevs] : device ? device : "(the configuration's)");
        if (!dry) {
            /* a bad configuration is said once, before any worker starts
             * (the device of each worker is checked by the worker) */
            struct l2d_run_opts check = o;
            check.dry_run = 1;
            check.event = NULL;
            check.device = devs ? "cpu" : o.device;
            struct l2d_run_summary csum;
            struct l2d_error cerr = {0};
            if (l2d_run_experiment(&check, &csum, &cerr)) {
                fprintf(stderr, "l2d run: %s\n", cerr.msg);
                free_strings(devs, ndevs);
                free_strings(unsets, nunsets);
                free(sets);
                return 2;
            }
            rc = run_workers(&o, &view, njobs, devs, ndevs);
            free_strings(devs, ndevs);
            free_strings(unsets, nunsets);
            free(sets);
            return rc;
        }
    }
    free_strings(devs, ndevs);
    struct l2d_run_summary sum;
    struct l2d_error err = {0};
    rc = l2d_run_experiment(&o, &sum, &err);
    end_line(&view);
    free_strings(unsets, nunsets);
    free(sets);
    if (rc) {
        fprintf(stderr, "l2d run: %s\n", err.msg);
        if (caught) return 128 + caught;
        /* refused before any work (bad configuration): a usage error */
        return sum.started ? 1 : 2;
    }
    if (!quiet && dry)
        fprintf(stderr, "l2d run: %zu cells in this shard: %zu done, %zu failed, %zu to run\n",
                sum.skipped + sum.failed + sum.todo, sum.skipped, sum.failed, sum.todo);
    if (!quiet && !dry)
        fprintf(stderr, "l2d run: %zu ran, %zu already done%s; results in %s\n", sum.ran, sum.skipped,
                sum.others_failed ? ", some failed in another worker" : "", sum.db_path);
    return caught ? 128 + caught : 0;
}
