# t/cli.mk: build fragment, included by Makefile.am
