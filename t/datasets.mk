# t/datasets.mk: build fragment, included by Makefile.am

check_PROGRAMS += t/test_dataprep
t_test_dataprep_SOURCES = t/test_dataprep.c
t_test_dataprep_LDADD = framework/libl2d.la
TESTS += t/test_dataprep
