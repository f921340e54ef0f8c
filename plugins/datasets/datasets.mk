# plugins/datasets/datasets.mk: build fragment, included by Makefile.am
