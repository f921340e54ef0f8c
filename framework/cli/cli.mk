# framework/cli: the l2d command
bin_PROGRAMS += l2d
l2d_SOURCES = framework/cli/main.c
l2d_LDADD = framework/libl2d.la
