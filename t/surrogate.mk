# t/surrogate.mk: build fragment, included by Makefile.am
