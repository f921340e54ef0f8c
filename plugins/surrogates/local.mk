# plugins/surrogates fragment, included by Makefile.am
