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

# the plugins' device ops against their host ops (skips without a GPU)
check_PROGRAMS += t/test_cuda_plugins
t_test_cuda_plugins_SOURCES = t/test_cuda_plugins.c t/plugin_util.h
t_test_cuda_plugins_LDADD = framework/libl2d.la -lm
TESTS += t/test_cuda_plugins
noinst_HEADERS += t/cuda_test_mlp.h t/cuda_test_objective.h
EXTRA_DIST += t/cuda_test_mlp.cu t/cuda_test_objective.cu
if HAVE_CUDA
check_LTLIBRARIES += t/libcudatest.la
t_libcudatest_la_SOURCES = t/cuda_test_mlp.cu t/cuda_test_objective.cu
t_libcudatest_la_LIBADD = $(CUDA_LIBS)
t_test_cuda_plugins_CFLAGS = $(AM_CFLAGS) $(CUDA_CFLAGS)
t_test_cuda_plugins_LDADD += t/libcudatest.la $(CUDA_LIBS)
endif
