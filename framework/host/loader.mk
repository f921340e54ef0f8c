# framework/host/loader.mk: build fragment, included by Makefile.am
