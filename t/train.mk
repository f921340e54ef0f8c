# t/train.mk: build fragment, included by Makefile.am
# Rejector training and evaluation metrics.
noinst_HEADERS += t/toy_surrogate.h
check_PROGRAMS += t/test_metrics t/test_train
t_test_metrics_SOURCES = t/test_metrics.c
t_test_metrics_LDADD = framework/libl2d.la
t_test_train_SOURCES = t/test_train.c
t_test_train_LDADD = framework/libl2d.la
TESTS += t/test_metrics t/test_train
