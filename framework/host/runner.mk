# framework/host/runner.mk: build fragment, included by Makefile.am
