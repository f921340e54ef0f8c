# plugins/agents/agents.mk: build fragment, included by Makefile.am
