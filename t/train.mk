# t/train.mk: build fragment, included by Makefile.am
