# framework/core/costs.mk: build fragment, included by Makefile.am
