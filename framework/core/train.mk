# framework/core/train.mk: build fragment, included by Makefile.am
# Two-stage rejector training (MT Algorithm 1) and evaluation metrics.
framework_libl2d_la_SOURCES += framework/core/train.c framework/core/metrics.c
noinst_HEADERS += framework/core/train.h framework/core/metrics.h framework/core/record.h
