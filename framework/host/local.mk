# framework/host fragment, included by Makefile.am
