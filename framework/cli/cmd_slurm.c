/* `l2d slurm CONFIG --array N ...`: the scripts that run a sweep as a Slurm
 * job array (one shard per task, each into its own database: SQLite is not
 * safe to share over a network file system) and merge the task databases in
 * a job that depends on the array. l2d schedules nothing itself. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli_util.h"
#include "cli/commands.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: l2d slurm CONFIG.ini --array N [options]\n"
            "Write the Slurm scripts of a sweep into DIR (default slurm/NAME, NAME the\n"
            "configuration's base name) and say how to submit them:\n"
            "  DIR/array.sbatch  a job array of N tasks; task i runs\n"
            "                    l2d run CONFIG --shard i/N --db DIR/shards/task-i.db\n"
            "  DIR/merge.sbatch  l2d merge OUT DIR/shards/task-*.db\n"
            "  DIR/submit.sh     sbatch array.sbatch, then merge.sbatch with\n"
            "                    --dependency=afterany on the array (the merge runs even when a\n"
            "                    task failed: what finished is merged, the rest can be resumed)\n"
            "Options:\n"
            "  --array N            number of tasks (shards), 1 to 100000\n"
            "  --partition P        #SBATCH --partition\n"
            "  --gres G             #SBATCH --gres (e.g. gpu:1; then each task runs on --device cuda)\n"
            "  --time T             #SBATCH --time of each task (e.g. 2:00:00)\n"
            "  --account A          #SBATCH --account\n"
            "  --cpus-per-task C    #SBATCH --cpus-per-task (default 1)\n"
            "  --dir DIR            where the scripts, task databases and logs go\n"
            "  --db OUT.db          the merged database (default DIR/merged.db)\n"
            "  --set S.K=V, --unset S.K   passed to every task's l2d run\n"
            "  --l2d PATH           the l2d the tasks run (default: this one)\n"
            "Resume after a node failed: the tasks that did not finish are listed by\n"
            "`sacct -j JOBID`; resubmit just those, e.g. `sbatch --array=3,7 DIR/array.sbatch`\n"
            "(each resumes its own database: done cells are skipped), then `sbatch\n"
            "DIR/merge.sbatch` (merging again changes nothing that was merged).\n");
}

/* A shell word, single-quoted. */
static void sq(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'') fputs("'\\''", f);
        else fputc(*s, f);
    }
    fputc('\'', f);
}

static int safe_value(const char *v)
{
    for (const char *p = v; *p; p++)
        if (*p == '\n' || *p == '\r') return 0;
    return *v != 0;
}

static int mkdirs(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return -1;
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0777) && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(buf, 0777) && errno != EEXIST ? -1 : 0;
}

static char *absolute(const char *path)
{
    if (path[0] == '/') return strdup(path);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return NULL;
    size_t n = strlen(cwd) + strlen(path) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", cwd, path);
    return p;
}

static FILE *open_script(const char *dir, const char *name, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f) fchmod(fileno(f), 0755);
    return f;
}

int l2d_cmd_slurm(int argc, char **argv)
{
    const char *config = NULL, *array = NULL, *partition = NULL, *gres = NULL, *tlimit = NULL, *account = NULL,
               *dir = NULL, *db = NULL, *cpus = NULL, *l2d = NULL;
    const char **sets = calloc((size_t)argc, sizeof *sets);
    int *is_unset = calloc((size_t)argc, sizeof *is_unset);
    size_t nsets = 0;
    int rc = 0;
    if (!sets || !is_unset) rc = 1;
    for (int k = 1; k < argc && !rc; k++) {
        const char *v;
        if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) {
            usage(stdout);
            free(sets);
            free(is_unset);
            return 0;
        }
        int unset = 0;
        if (cli_opt_value(argc, argv, &k, "--set", &v) || (unset = cli_opt_value(argc, argv, &k, "--unset", &v))) {
            if (v == CLI_MISSING) rc = cli_usage_error("slurm", "--set and --unset need a value");
            else if (!safe_value(v)) rc = cli_usage_error("slurm", "a value on more than one line");
            else {
                is_unset[nsets] = unset;
                sets[nsets++] = v;
            }
        } else if (cli_opt_value(argc, argv, &k, "--array", &array) ||
                   cli_opt_value(argc, argv, &k, "--partition", &partition) ||
                   cli_opt_value(argc, argv, &k, "--gres", &gres) || cli_opt_value(argc, argv, &k, "--time", &tlimit) ||
                   cli_opt_value(argc, argv, &k, "--account", &account) ||
                   cli_opt_value(argc, argv, &k, "--cpus-per-task", &cpus) ||
                   cli_opt_value(argc, argv, &k, "--dir", &dir) || cli_opt_value(argc, argv, &k, "--db", &db) ||
                   cli_opt_value(argc, argv, &k, "--l2d", &l2d)) {
            const char *vals[] = {array, partition, gres, tlimit, account, cpus, dir, db, l2d};
            for (size_t j = 0; j < sizeof vals / sizeof *vals && !rc; j++)
                if (vals[j] == CLI_MISSING) rc = cli_usage_error("slurm", "%s needs a value", argv[k]);
                else if (vals[j] && !safe_value(vals[j])) rc = cli_usage_error("slurm", "a value on more than one line");
        } else if (argv[k][0] == '-') rc = cli_usage_error("slurm", "unknown option '%s'", argv[k]);
        else if (config) rc = cli_usage_error("slurm", "one configuration file at a time");
        else config = argv[k];
    }
    long n = 0;
    if (!rc && !config) rc = cli_usage_error("slurm", "which configuration file?");
    if (!rc && !array) rc = cli_usage_error("slurm", "--array N is required");
    if (!rc) {
        char *end;
        n = strtol(array, &end, 10);
        if (*end || n < 1 || n > 100000) rc = cli_usage_error("slurm", "--array takes 1 to 100000, not '%s'", array);
    }
    if (!rc && cpus) {
        char *end;
        long c = strtol(cpus, &end, 10);
        if (*end || c < 1 || c > 4096) rc = cli_usage_error("slurm", "--cpus-per-task takes 1 to 4096, not '%s'", cpus);
    }
    if (!rc && access(config, R_OK)) {
        fprintf(stderr, "l2d slurm: %s: %s\n", config, strerror(errno));
        rc = 2;
    }
    if (rc) {
        free(sets);
        free(is_unset);
        return rc;
    }
    /* names */
    char name[256];
    const char *base = strrchr(config, '/');
    snprintf(name, sizeof name, "%s", base ? base + 1 : config);
    char *dot = strrchr(name, '.');
    if (dot && !strcmp(dot, ".ini")) *dot = 0;
    char defdir[300];
    snprintf(defdir, sizeof defdir, "slurm/%s", name);
    char *adir = absolute(dir ? dir : defdir), *acfg = absolute(config), *adb = NULL;
    char self[PATH_MAX];
    ssize_t sl = l2d ? 0 : readlink("/proc/self/exe", self, sizeof self - 1);
    if (l2d) {
        char *a = strchr(l2d, '/') ? absolute(l2d) : strdup(l2d);
        snprintf(self, sizeof self, "%s", a ? a : l2d);
        free(a);
    } else if (sl <= 0) snprintf(self, sizeof self, "l2d");
    else self[sl] = 0;
    char merged[PATH_MAX + 16];
    if (adir) snprintf(merged, sizeof merged, "%s/merged.db", adir);
    adb = absolute(db ? db : merged);
    if (!adir || !acfg || !adb) rc = 1;
    char shards[PATH_MAX + 16], logs[PATH_MAX + 16], path[PATH_MAX + 32];
    if (!rc) {
        snprintf(shards, sizeof shards, "%s/shards", adir);
        snprintf(logs, sizeof logs, "%s/logs", adir);
        if (mkdirs(shards) || mkdirs(logs)) {
            fprintf(stderr, "l2d slurm: %s: cannot create: %s\n", adir, strerror(errno));
            rc = 1;
        }
    }
    FILE *f = NULL;
    /* the array */
    if (!rc && !(f = open_script(adir, "array.sbatch", path, sizeof path))) rc = 1;
    if (!rc) {
        fprintf(f, "#!/bin/sh\n# Written by l2d slurm: task i of %ld runs shard i/%ld of the sweep into its own\n"
                   "# database (SQLite is not safe to share over a network file system).\n", n, n);
        fprintf(f, "#SBATCH --job-name=l2d-%s\n#SBATCH --array=0-%ld\n", name, n - 1);
        fprintf(f, "#SBATCH --output=%s/task-%%a.out\n", logs);
        fprintf(f, "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=%s\n", cpus ? cpus : "1");
        if (partition) fprintf(f, "#SBATCH --partition=%s\n", partition);
        if (gres) fprintf(f, "#SBATCH --gres=%s\n", gres);
        if (tlimit) fprintf(f, "#SBATCH --time=%s\n", tlimit);
        if (account) fprintf(f, "#SBATCH --account=%s\n", account);
        fprintf(f, "set -u\n: \"${SLURM_ARRAY_TASK_ID:?run this script with sbatch}\"\n"
                   "# a task resubmitted after its node failed finds its old claim there: it\n"
                   "# lapses after this many seconds\n"
                   "export L2D_CLAIM_LEASE=${L2D_CLAIM_LEASE:-120}\n");
        fprintf(f, "exec ");
        sq(f, self);
        fprintf(f, " run ");
        sq(f, acfg);
        fprintf(f, " --shard \"$SLURM_ARRAY_TASK_ID/%ld\" --db ", n);
        sq(f, shards);
        fprintf(f, "/task-\"$SLURM_ARRAY_TASK_ID\".db");
        if (gres && !strncmp(gres, "gpu", 3)) fprintf(f, " --device cuda");
        for (size_t k = 0; k < nsets; k++) {
            fprintf(f, is_unset[k] ? " --unset " : " --set ");
            sq(f, sets[k]);
        }
        fprintf(f, "\n");
        if (fclose(f)) rc = 1;
        f = NULL;
    }
    /* the merge */
    if (!rc && !(f = open_script(adir, "merge.sbatch", path, sizeof path))) rc = 1;
    if (!rc) {
        fprintf(f, "#!/bin/sh\n# Written by l2d slurm: merge the task databases of the array into one.\n");
        fprintf(f, "#SBATCH --job-name=l2d-%s-merge\n#SBATCH --output=%s/merge.out\n#SBATCH --ntasks=1\n", name, logs);
        if (partition) fprintf(f, "#SBATCH --partition=%s\n", partition);
        if (tlimit) fprintf(f, "#SBATCH --time=%s\n", tlimit);
        if (account) fprintf(f, "#SBATCH --account=%s\n", account);
        fprintf(f, "set -u\nset --\nfor db in ");
        sq(f, shards);
        fprintf(f, "/task-*.db; do\n    [ -e \"$db\" ] && set -- \"$@\" \"$db\"\ndone\n"
                   "[ $# -gt 0 ] || { echo \"l2d slurm: no task database to merge\" >&2; exit 1; }\nexec ");
        sq(f, self);
        fprintf(f, " merge ");
        sq(f, adb);
        fprintf(f, " \"$@\"\n");
        if (fclose(f)) rc = 1;
        f = NULL;
    }
    /* the submission */
    if (!rc && !(f = open_script(adir, "submit.sh", path, sizeof path))) rc = 1;
    if (!rc) {
        fprintf(f, "#!/bin/sh\n# Written by l2d slurm: submit the array, then the merge once every task ended.\n"
                   "set -eu\ncd ");
        sq(f, adir);
        fprintf(f, "\njob=$(sbatch --parsable array.sbatch)\njob=${job%%%%;*}\n"
                   "merge=$(sbatch --parsable --dependency=afterany:\"$job\" merge.sbatch)\n"
                   "echo \"array job $job (%ld tasks), merge job ${merge%%%%;*} -> \"", n);
        sq(f, adb);
        fprintf(f, "\n");
        if (fclose(f)) rc = 1;
        f = NULL;
    }
    if (rc == 1) fprintf(stderr, "l2d slurm: %s: %s\n", adir ? adir : "?", strerror(errno));
    else
        printf("l2d slurm: wrote %s/array.sbatch (%ld tasks), %s/merge.sbatch, %s/submit.sh\n"
               "submit with: sh %s/submit.sh\n",
               adir, n, adir, adir, adir);
    free(adir);
    free(acfg);
    free(adb);
    free(sets);
    free(is_unset);
    return rc;
}
