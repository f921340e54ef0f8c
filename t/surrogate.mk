# t/surrogate.mk: tests of the surrogate plugins, costs and the gradient checker
# (per-target CFLAGS give the plugin sources linked into tests their own
# object names, apart from the libtool objects of the plugins)
check_PROGRAMS += t/test_ce
t_test_ce_SOURCES = t/test_ce.c plugins/surrogates/ce.c
t_test_ce_CFLAGS = $(AM_CFLAGS)
TESTS += t/test_ce

check_PROGRAMS += t/test_costs
t_test_costs_SOURCES = t/test_costs.c
t_test_costs_LDADD = framework/libl2d.la
TESTS += t/test_costs

check_PROGRAMS += t/test_gradcheck
t_test_gradcheck_SOURCES = t/test_gradcheck.c plugins/surrogates/ce.c
t_test_gradcheck_CFLAGS = $(AM_CFLAGS)
t_test_gradcheck_LDADD = framework/libl2d.la
TESTS += t/test_gradcheck

TESTS += t/surrogate_eval.sh
EXTRA_DIST += t/surrogate_eval.sh
