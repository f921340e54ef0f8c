# plugins/datasets/datasets.mk: build fragment, included by Makefile.am

# shared data preparation (splits, standardisation, in-memory table), in libl2d
framework_libl2d_la_SOURCES += framework/core/dataprep.c
l2dinclude_HEADERS += framework/include/l2d/dataprep.h
noinst_HEADERS += framework/core/local_rng.h

# synthetic: clustered tabular data, generated in memory (the default data set)
pkglib_LTLIBRARIES += plugins/synthetic.la
plugins_synthetic_la_SOURCES = plugins/datasets/synthetic.c
plugins_synthetic_la_LDFLAGS = $(plugin_flags)
plugins_synthetic_la_LIBADD = $(plugin_libs)
