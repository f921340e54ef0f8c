# t/store.mk: the results store, the example queries and `l2d report`
check_PROGRAMS += t/test_store
t_test_store_SOURCES = t/test_store.c
t_test_store_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
t_test_store_LDADD = framework/libl2d.la $(SQLITE_LIBS)
TESTS += t/test_store
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
