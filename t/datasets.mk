# t/datasets.mk: build fragment, included by Makefile.am
