# t/agents.mk: build fragment, included by Makefile.am
# Each test links its plugin's sources directly (per-target CFLAGS keep the
# objects apart from the plugin's libtool objects).
noinst_HEADERS += t/agent_params.h

check_PROGRAMS += t/test_category_expert
t_test_category_expert_SOURCES = t/test_category_expert.c plugins/agents/category_expert.c
t_test_category_expert_CFLAGS = $(AM_CFLAGS)
t_test_category_expert_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
t_test_category_expert_LDADD = framework/libl2d.la -lm
TESTS += t/test_category_expert

check_PROGRAMS += t/test_cluster_expert
t_test_cluster_expert_SOURCES = t/test_cluster_expert.c plugins/agents/cluster_expert.c \
	plugins/agents/kmeans.c
t_test_cluster_expert_CFLAGS = $(AM_CFLAGS)
t_test_cluster_expert_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
t_test_cluster_expert_LDADD = framework/libl2d.la -lm
TESTS += t/test_cluster_expert

check_PROGRAMS += t/test_network
t_test_network_SOURCES = t/test_network.c plugins/agents/network.c plugins/agents/rowfilter.c
t_test_network_CFLAGS = $(AM_CFLAGS)
t_test_network_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
t_test_network_LDADD = framework/libl2d.la -lm
TESTS += t/test_network
