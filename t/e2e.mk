# End-to-end tests of `l2d run`: configs in t/data/e2e, results checked
# with the sqlite3 shell (t/e2e_lib.sh).
e2e_tests = t/e2e_learns.sh t/e2e_sweep.sh t/e2e_resume.sh t/e2e_fail.sh t/e2e_badcfg.sh t/e2e_interrupt.sh t/e2e_cli.sh t/e2e_methods.sh t/e2e_identity.sh t/e2e_workers.sh t/e2e_merge.sh t/e2e_conv.sh t/e2e_progress.sh
TESTS += $(e2e_tests)
EXTRA_DIST += $(e2e_tests) t/e2e_lib.sh t/data/e2e/sweep.ini t/data/e2e/blowup.ini \
	t/data/e2e/long.ini t/data/e2e/complementary.ini
# a cell on a CUDA device is refused until the CUDA training engine lands
check_PROGRAMS += t/test_cell_device
t_test_cell_device_SOURCES = t/test_cell_device.c
t_test_cell_device_LDADD = framework/libl2d.la
TESTS += t/test_cell_device
