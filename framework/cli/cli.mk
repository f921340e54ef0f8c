# framework/cli: the l2d command
bin_PROGRAMS += l2d
l2d_SOURCES = framework/cli/main.c framework/cli/cli_util.c framework/cli/cmd_plugins.c \
	framework/cli/cmd_run.c
l2d_LDADD = framework/libl2d.la
noinst_HEADERS += framework/cli/commands.h framework/cli/cli_util.h

EXTRA_DIST += experiments examples/surrogate-square/square.c examples/surrogate-square/Makefile \
	docs/writing-plugins.md docs/design-notes.md docs/metrics.md

# `make quickstart`: the README's first command
quickstart: all
	@mkdir -p results
	./l2d run $(srcdir)/experiments/quickstart.ini --db results/quickstart.db
	./l2d report results/quickstart.db
.PHONY: quickstart

# `l2d surrogate eval` (surrogate helper)
l2d_SOURCES += framework/cli/cmd_surrogate.c
l2d_SOURCES += framework/cli/cmd_report.c
l2d_SOURCES += framework/cli/cmd_merge.c framework/cli/cmd_slurm.c
l2d_SOURCES += framework/cli/cmd_devices.c
