# framework/cli: the l2d command
bin_PROGRAMS += l2d
l2d_SOURCES = framework/cli/main.c framework/cli/cli_util.c framework/cli/cmd_plugins.c \
	framework/cli/cmd_run.c
l2d_LDADD = framework/libl2d.la
noinst_HEADERS += framework/cli/commands.h framework/cli/cli_util.h

# Installed (and distributed): the experiments under $(pkgdatadir)/experiments
# (the data they read under $(pkgdatadir)/data, datasets.mk, where the csv
# plugin looks for a relative path not found from the working directory, so
# an installed experiment runs from anywhere); the README, docs/ and the
# out-of-tree example under $(docdir), laid out as in the source tree so the
# README's links hold.
l2dexperimentsdir = $(pkgdatadir)/experiments
dist_l2dexperiments_DATA = experiments/quickstart.ini experiments/baselines.ini \
	experiments/mt_table1_housing.ini experiments/adv_table2_housing.ini
dist_doc_DATA = README.md
nobase_dist_doc_DATA = docs/architecture.md docs/conv-models.md docs/cuda-backend.md \
	docs/design-notes.md docs/math.md docs/metrics.md docs/protocols.md docs/writing-plugins.md \
	examples/surrogate-square/square.c examples/surrogate-square/Makefile

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
