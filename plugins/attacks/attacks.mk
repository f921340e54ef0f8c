# plugins/attacks/attacks.mk: attack plugins, the attack objectives on the
# rejector (in libl2d) and the rho-margin surrogate; included by Makefile.am

# attack objectives (docs/math.md §5), part of libl2d
framework_libl2d_la_SOURCES += framework/core/objectives.c
noinst_HEADERS += framework/core/objectives.h

noinst_HEADERS += plugins/attacks/pgd_core.h plugins/attacks/pgd_step.cuh \
	plugins/attacks/xoshiro_jump.cuh
EXTRA_DIST += plugins/attacks/pgd_device.cu

pkglib_LTLIBRARIES += plugins/pgd.la
plugins_pgd_la_SOURCES = plugins/attacks/pgd.c plugins/attacks/pgd_core.c
plugins_pgd_la_LDFLAGS = $(plugin_flags)
plugins_pgd_la_LIBADD = $(plugin_libs)
plugins_pgd_la_CPPFLAGS = $(plugin_cppflags)
if HAVE_CUDA
plugins_pgd_la_SOURCES += plugins/attacks/pgd_device.cu
plugins_pgd_la_CPPFLAGS += -DL2D_PLUGIN_CUDA
plugins_pgd_la_LIBADD += $(CUDA_LIBS)
endif

pkglib_LTLIBRARIES += plugins/fgsm.la
plugins_fgsm_la_SOURCES = plugins/attacks/fgsm.c plugins/attacks/pgd_core.c
plugins_fgsm_la_LDFLAGS = $(plugin_flags)
plugins_fgsm_la_LIBADD = $(plugin_libs)
plugins_fgsm_la_CPPFLAGS = $(plugin_cppflags)
if HAVE_CUDA
plugins_fgsm_la_SOURCES += plugins/attacks/pgd_device.cu
plugins_fgsm_la_CPPFLAGS += -DL2D_PLUGIN_CUDA
plugins_fgsm_la_LIBADD += $(CUDA_LIBS)
endif

# the rho-margin surrogate lives with the surrogates but is built here
pkglib_LTLIBRARIES += plugins/rho-margin.la
plugins_rho_margin_la_SOURCES = plugins/surrogates/rho_margin.c
plugins_rho_margin_la_LDFLAGS = $(plugin_flags)
plugins_rho_margin_la_LIBADD = $(plugin_libs)
plugins_rho_margin_la_CPPFLAGS = $(plugin_cppflags)
if HAVE_CUDA
plugins_rho_margin_la_SOURCES += plugins/surrogates/rho_margin_device.cu
plugins_rho_margin_la_CPPFLAGS += -DL2D_PLUGIN_CUDA
plugins_rho_margin_la_LIBADD += $(CUDA_LIBS)
endif

# the smooth-adv (SARD) surrogate: comp-sum on r/rho (l2d/compsum.h) plus
# the attack-driven smoothness term
pkglib_LTLIBRARIES += plugins/smooth-adv.la
plugins_smooth_adv_la_SOURCES = plugins/surrogates/smooth_adv.c
plugins_smooth_adv_la_LDFLAGS = $(plugin_flags)
plugins_smooth_adv_la_LIBADD = $(plugin_libs)
plugins_smooth_adv_la_CPPFLAGS = $(plugin_cppflags)
if HAVE_CUDA
plugins_smooth_adv_la_SOURCES += plugins/surrogates/smooth_adv_device.cu
plugins_smooth_adv_la_CPPFLAGS += -DL2D_PLUGIN_CUDA
plugins_smooth_adv_la_LIBADD += $(CUDA_LIBS)
endif
noinst_HEADERS += plugins/surrogates/smooth_adv_device.h
EXTRA_DIST += plugins/surrogates/smooth_adv_device.cu
