# framework/host/store.mk: build fragment, included by Makefile.am
