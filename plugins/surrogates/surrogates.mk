# plugins/surrogates: surrogate losses for the rejector (MATH.md §3-4)
pkglib_LTLIBRARIES += plugins/ce.la
plugins_ce_la_SOURCES = plugins/surrogates/ce.c
plugins_ce_la_LDFLAGS = $(plugin_flags)
plugins_ce_la_LIBADD = $(plugin_libs)
