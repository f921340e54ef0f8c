# plugins/datasets/datasets.mk: build fragment, included by Makefile.am

# shared data preparation (splits, standardisation, in-memory table), in libl2d
framework_libl2d_la_SOURCES += framework/core/dataprep.c
l2dinclude_HEADERS += framework/include/l2d/dataprep.h

# synthetic: clustered tabular data, generated in memory (the default data set)
pkglib_LTLIBRARIES += plugins/synthetic.la
plugins_synthetic_la_SOURCES = plugins/datasets/synthetic.c
plugins_synthetic_la_LDFLAGS = $(plugin_flags)
plugins_synthetic_la_LIBADD = $(plugin_libs)

# csv: a table from a CSV file; looks for relative paths also under the
# installed data directory (and, for a build tree's l2d, the source tree)
pkglib_LTLIBRARIES += plugins/csv.la
plugins_csv_la_SOURCES = plugins/datasets/csv.c plugins/datasets/csv_parse.c
plugins_csv_la_CPPFLAGS = $(AM_CPPFLAGS)
plugins_csv_la_LDFLAGS = $(plugin_flags)
plugins_csv_la_LIBADD = $(plugin_libs)
noinst_HEADERS += plugins/datasets/csv_parse.h

# shipped data: installed as $(pkgdatadir)/data/... so the same relative
# path works in the source tree and after install
nobase_dist_pkgdata_DATA = data/california_housing.csv
EXTRA_DIST += data/README.md

# image data sets: idx (MNIST-format, Fashion-MNIST by default) and cifar
# (CIFAR-10/100 binary); files read through zlib, plain or gzipped
pkglib_LTLIBRARIES += plugins/idx.la
plugins_idx_la_SOURCES = plugins/datasets/idx.c plugins/datasets/imgset.c
plugins_idx_la_CPPFLAGS = $(plugin_cppflags)
plugins_idx_la_CFLAGS = $(AM_CFLAGS) $(ZLIB_CFLAGS)
plugins_idx_la_LDFLAGS = $(plugin_flags)
plugins_idx_la_LIBADD = $(plugin_libs) $(ZLIB_LIBS)

pkglib_LTLIBRARIES += plugins/cifar.la
plugins_cifar_la_SOURCES = plugins/datasets/cifar.c plugins/datasets/imgset.c
plugins_cifar_la_CPPFLAGS = $(plugin_cppflags)
plugins_cifar_la_CFLAGS = $(AM_CFLAGS) $(ZLIB_CFLAGS)
plugins_cifar_la_LDFLAGS = $(plugin_flags)
plugins_cifar_la_LIBADD = $(plugin_libs) $(ZLIB_LIBS)
noinst_HEADERS += plugins/datasets/imgset.h
