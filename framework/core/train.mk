# framework/core/train.mk: build fragment, included by Makefile.am
