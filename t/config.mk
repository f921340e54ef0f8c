# t/config.mk: the experiment configuration (framework/host/config*.c)
check_PROGRAMS += t/test_config
t_test_config_SOURCES = t/test_config.c
t_test_config_LDADD = framework/libl2d.la
TESTS += t/test_config
EXTRA_DIST += t/data/config/good.ini t/data/config/tiny.ini t/data/config/long_line.ini \
	t/data/config/bad_section.ini t/data/config/bad_key.ini t/data/config/bad_number.ini \
	t/data/config/bad_range.ini t/data/config/bad_enum.ini t/data/config/bad_plugin_param.ini \
	t/data/config/dup_key.ini t/data/config/dup_section.ini t/data/config/missing_plugin.ini \
	t/data/config/sweep_unknown.ini t/data/config/sweep_range.ini \
	t/data/config/unknown_plugin.ini t/data/config/syntax.ini t/data/config/outside.ini \
	t/data/config/method_conflict.ini t/data/config/sweep_experiment.ini \
	t/data/config/bad_seeds.ini t/data/config/bad_target.ini t/data/config/bad_hidden.ini t/data/config/bad_channels.ini \
	t/data/config/zero_lr.ini t/data/config/quote_junk.ini t/data/config/no_agent.ini \
	t/data/config/method_unknown_key.ini \
	t/data/config/bom.ini t/data/config/comment_cont.ini t/data/config/crlf.ini
check_PROGRAMS += t/test_cells
t_test_cells_SOURCES = t/test_cells.c
t_test_cells_LDADD = framework/libl2d.la
TESTS += t/test_cells
