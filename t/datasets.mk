# t/datasets.mk: build fragment, included by Makefile.am

check_PROGRAMS += t/test_dataprep
t_test_dataprep_SOURCES = t/test_dataprep.c
t_test_dataprep_LDADD = framework/libl2d.la
TESTS += t/test_dataprep
noinst_HEADERS += t/dsparams.h

check_PROGRAMS += t/test_synthetic
t_test_synthetic_SOURCES = t/test_synthetic.c plugins/datasets/synthetic.c
t_test_synthetic_LDADD = framework/libl2d.la
t_test_synthetic_CFLAGS = $(AM_CFLAGS) # own object names: the plugin source is also a libtool object
TESTS += t/test_synthetic

check_PROGRAMS += t/test_csv
t_test_csv_SOURCES = t/test_csv.c plugins/datasets/csv.c plugins/datasets/csv_parse.c
t_test_csv_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/datasets
t_test_csv_LDADD = framework/libl2d.la
TESTS += t/test_csv
EXTRA_DIST += t/data/csv/small.csv t/data/csv/crlf.csv t/data/csv/missing.csv \
	t/data/csv/ragged.csv t/data/csv/notnum.csv t/data/csv/nonfinite.csv \
	t/data/csv/empty.csv t/data/csv/noheader.csv t/data/csv/headeronly.csv \
	t/data/csv/dropall.csv t/data/csv/dup.csv t/data/csv/badclass.csv \
	t/data/csv/quoted.csv t/data/csv/quoted_lines.csv t/data/csv/quoted_ragged.csv \
	t/data/csv/unclosed.csv t/data/csv/afterquote.csv t/data/csv/semicolon.csv \
	t/data/csv/tab.csv t/data/csv/space.txt t/data/csv/cr.csv t/data/csv/na.csv \
	t/data/csv/classes.csv t/data/csv/mixed.csv t/data/csv/unnamed.csv \
	t/data/csv/pandas.csv t/data/csv/binary.csv t/data/csv/control.csv \
	t/data/csv/utf16.csv t/data/csv/gzip.csv t/data/csv/blank.csv t/data/csv/onecol.csv \
	t/data/csv/excel.csv t/data/csv/spaced.csv t/data/csv/trailing.csv t/data/csv/rownames.csv \
	t/data/csv/iris.csv t/data/csv/wine.csv t/data/csv/iris_sklearn_head.csv \
	t/data/csv/README.md t/data/csv/make_real.py t/data/csv/make_fixtures.py

# image data sets: small IDX and CIFAR files written by the tests (plain and
# gzipped), and the real Fashion-MNIST where it is installed
noinst_HEADERS += t/imgtest.h
check_PROGRAMS += t/test_idx
t_test_idx_SOURCES = t/test_idx.c plugins/datasets/idx.c plugins/datasets/imgset.c
t_test_idx_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/datasets
t_test_idx_CFLAGS = $(AM_CFLAGS) $(ZLIB_CFLAGS)
t_test_idx_LDADD = framework/libl2d.la $(ZLIB_LIBS) -lm
TESTS += t/test_idx

check_PROGRAMS += t/test_cifar
t_test_cifar_SOURCES = t/test_cifar.c plugins/datasets/cifar.c plugins/datasets/imgset.c
t_test_cifar_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/datasets
t_test_cifar_CFLAGS = $(AM_CFLAGS) $(ZLIB_CFLAGS)
t_test_cifar_LDADD = framework/libl2d.la $(ZLIB_LIBS) -lm
TESTS += t/test_cifar
TESTS += t/images_e2e.sh
EXTRA_DIST += t/images_e2e.sh
