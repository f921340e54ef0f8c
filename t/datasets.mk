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
