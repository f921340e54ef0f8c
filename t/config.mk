# t/config.mk: build fragment, included by Makefile.am
