# plugins/agents fragment, included by Makefile.am
