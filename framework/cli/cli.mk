# framework/cli: the l2d command
bin_PROGRAMS += l2d
l2d_SOURCES = framework/cli/main.c framework/cli/cli_util.c framework/cli/cmd_plugins.c
l2d_LDADD = framework/libl2d.la
noinst_HEADERS += framework/cli/commands.h framework/cli/cli_util.h
l2d_SOURCES += framework/cli/cmd_report.c
