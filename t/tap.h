/* Minimal TAP producer for the C tests. */
#ifndef L2D_TAP_H
#define L2D_TAP_H
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_n, tap_failed;

static void tap_plan(int n) { printf("1..%d\n", n); }
static __attribute__((unused)) void tap_skip_all(const char *why) { printf("1..0 # SKIP %s\n", why); exit(0); }

static int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3), unused));
static int tap_ok(int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (!cond) tap_failed++;
    fflush(stdout);
    return cond;
}

/* One test that cannot run here, as "ok N # SKIP why". */
static void tap_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static void tap_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("ok %d # SKIP ", ++tap_n);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
}

/* |got - want| <= atol + rtol*|want| */
static int tap_close(double got, double want, double atol, double rtol, const char *what)
    __attribute__((unused));
static int tap_close(double got, double want, double atol, double rtol, const char *what)
{
    int ok = isfinite(got) && fabs(got - want) <= atol + rtol * fabs(want);
    tap_ok(ok, "%s: got %.17g want %.17g", what, got, want);
    return ok;
}

static void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static void tap_diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("# ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

static int tap_done(void) __attribute__((unused));
static int tap_done(void) { return tap_failed ? 1 : 0; }
#endif
