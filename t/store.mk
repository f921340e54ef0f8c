# t/store.mk: the results store, the example queries and `l2d report`
check_PROGRAMS += t/test_store
t_test_store_SOURCES = t/test_store.c
t_test_store_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
t_test_store_LDADD = framework/libl2d.la $(SQLITE_LIBS)
TESTS += t/test_store
check_PROGRAMS += t/test_store_migrate
t_test_store_migrate_SOURCES = t/test_store_migrate.c
t_test_store_migrate_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
t_test_store_migrate_LDADD = framework/libl2d.la $(SQLITE_LIBS)
TESTS += t/test_store_migrate
EXTRA_DIST += t/data/migrate/results_v1.sql t/data/migrate/make_results_v1.sh t/data/migrate/legacy.ini
TESTS += t/migrate.sh t/migrate_v2.sh t/migrate_v3.sh t/slurm.sh
EXTRA_DIST += t/migrate.sh t/migrate_v2.sh t/migrate_v3.sh t/slurm.sh t/data/migrate/results_v2.sql \
	t/data/migrate/results_v2_sweep.sql
TESTS += t/queries.sh
EXTRA_DIST += t/queries.sh
check_PROGRAMS += t/report_fixture
t_report_fixture_SOURCES = t/report_fixture.c
t_report_fixture_LDADD = framework/libl2d.la
TESTS += t/report.sh
EXTRA_DIST += t/report.sh
TESTS += t/report_paper.sh
EXTRA_DIST += t/report_paper.sh
TESTS += t/plot.sh
EXTRA_DIST += t/plot.sh
