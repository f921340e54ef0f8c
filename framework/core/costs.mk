# framework/core/costs.mk: deferral costs (docs/math.md §2) and the surrogate
# gradient checker behind `l2d plugin-check` (both part of libl2d)
framework_libl2d_la_SOURCES += framework/core/costs.c
noinst_HEADERS += framework/core/costs.h
framework_libl2d_la_SOURCES += framework/host/plugin_check.c
noinst_HEADERS += framework/host/plugin_check.h
