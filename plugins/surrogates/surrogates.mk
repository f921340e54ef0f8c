# plugins/surrogates: surrogate losses for the rejector (docs/math.md §3-4)
pkglib_LTLIBRARIES += plugins/ce.la
plugins_ce_la_SOURCES = plugins/surrogates/ce.c
plugins_ce_la_LDFLAGS = $(plugin_flags)
plugins_ce_la_LIBADD = $(plugin_libs)
plugins_ce_la_CPPFLAGS = $(plugin_cppflags)
if HAVE_CUDA
plugins_ce_la_SOURCES += plugins/surrogates/ce_device.cu
plugins_ce_la_CPPFLAGS += -DL2D_PLUGIN_CUDA
plugins_ce_la_LIBADD += $(CUDA_LIBS)
endif

# the comp-sum rows shared by the surrogates' host ops and their kernels
l2dinclude_HEADERS += framework/include/l2d/compsum.h
noinst_HEADERS += plugins/cuda_util.cuh plugins/surrogates/surrogates_device.h \
	plugins/surrogates/rho_margin_row.h
EXTRA_DIST += plugins/surrogates/ce_device.cu plugins/surrogates/rho_margin_device.cu
