# plugins/datasets fragment, included by Makefile.am
