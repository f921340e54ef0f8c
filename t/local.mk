# t fragment, included by Makefile.am
