# plugins/agents/agents.mk: build fragment, included by Makefile.am
noinst_HEADERS += plugins/agents/rowrng.h plugins/agents/idlist.h

pkglib_LTLIBRARIES += plugins/category-expert.la
plugins_category_expert_la_SOURCES = plugins/agents/category_expert.c
plugins_category_expert_la_LDFLAGS = $(plugin_flags)
plugins_category_expert_la_LIBADD = $(plugin_libs)

noinst_HEADERS += plugins/agents/kmeans.h
pkglib_LTLIBRARIES += plugins/cluster-expert.la
plugins_cluster_expert_la_SOURCES = plugins/agents/cluster_expert.c plugins/agents/kmeans.c
plugins_cluster_expert_la_LDFLAGS = $(plugin_flags)
plugins_cluster_expert_la_LIBADD = $(plugin_libs) -lm

noinst_HEADERS += plugins/agents/rowfilter.h
pkglib_LTLIBRARIES += plugins/network.la
plugins_network_la_SOURCES = plugins/agents/network.c plugins/agents/rowfilter.c
plugins_network_la_LDFLAGS = $(plugin_flags)
plugins_network_la_LIBADD = $(plugin_libs) -lm
