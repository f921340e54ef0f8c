# t/attacks.mk: tests of the attack plugins, the attack objectives and the
# rho-margin and smooth-adv surrogates
check_PROGRAMS += t/test_pgd t/test_objectives t/test_rho_margin t/test_smooth_adv
t_test_pgd_SOURCES = t/test_pgd.c t/plugin_util.h
t_test_pgd_LDADD = framework/libl2d.la -lm
t_test_objectives_SOURCES = t/test_objectives.c t/plugin_util.h
t_test_objectives_LDADD = framework/libl2d.la -lm
t_test_rho_margin_SOURCES = t/test_rho_margin.c t/plugin_util.h
t_test_rho_margin_LDADD = framework/libl2d.la -lm
t_test_smooth_adv_SOURCES = t/test_smooth_adv.c t/plugin_util.h
t_test_smooth_adv_LDADD = framework/libl2d.la -lm
TESTS += t/test_pgd t/test_objectives t/test_rho_margin t/test_smooth_adv t/adv_plugins.sh
EXTRA_DIST += t/adv_plugins.sh
