# plugins/surrogates/surrogates.mk: build fragment, included by Makefile.am
