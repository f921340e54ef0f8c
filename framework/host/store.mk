# framework/host/store.mk: the SQLite results store and `l2d report` (part of libl2d)
framework_libl2d_la_SOURCES += framework/host/store.c
noinst_HEADERS += framework/host/store.h framework/host/record.h

# results/schema.sql is the one source of the schema; the library embeds it
# as a C string literal made from it here.
framework/host/schema_sql.h: $(srcdir)/results/schema.sql
	$(AM_V_GEN)$(MKDIR_P) framework/host && \
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $(srcdir)/results/schema.sql > $@.tmp && \
	mv $@.tmp $@
# before the first build, dependency tracking does not know store.c needs it
$(framework_libl2d_la_OBJECTS): framework/host/schema_sql.h
CLEANFILES += framework/host/schema_sql.h

# the schema and the example queries are installed for use with the sqlite3 shell
l2dresultsdir = $(pkgdatadir)/results
dist_l2dresults_DATA = results/schema.sql results/README.md
l2dqueriesdir = $(pkgdatadir)/results/queries
dist_l2dqueries_DATA = results/queries/best_beta_per_nu.sql results/queries/allocation_vs_beta.sql \
	results/queries/learning_curve.sql results/queries/summary.sql results/queries/runs_by_device.sql \
	results/queries/params_wide.sql
framework_libl2d_la_SOURCES += framework/host/report.c framework/host/report_load.c \
	framework/host/report_layout.c framework/host/report_paper.c framework/host/report_write.c
noinst_HEADERS += framework/host/report.h framework/host/report_impl.h
framework_libl2d_la_SOURCES += framework/host/paper.c
noinst_HEADERS += framework/host/paper.h
framework_libl2d_la_SOURCES += framework/host/plot.c
noinst_HEADERS += framework/host/plot.h
