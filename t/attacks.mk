# t/attacks.mk: tests of the attack plugins, attack objectives and rho-margin
check_PROGRAMS += t/test_pgd t/test_objectives t/test_rho_margin
t_test_pgd_SOURCES = t/test_pgd.c t/plugin_util.h
t_test_pgd_LDADD = framework/libl2d.la -lm
t_test_objectives_SOURCES = t/test_objectives.c t/plugin_util.h
t_test_objectives_LDADD = framework/libl2d.la -lm
t_test_rho_margin_SOURCES = t/test_rho_margin.c t/plugin_util.h
t_test_rho_margin_LDADD = framework/libl2d.la -lm
TESTS += t/test_pgd t/test_objectives t/test_rho_margin t/rho_margin.sh
EXTRA_DIST += t/rho_margin.sh
