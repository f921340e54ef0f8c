# framework/host: plugin loader and parameter validation (part of libl2d)
framework_libl2d_la_SOURCES += framework/host/loader.c framework/host/params.c
noinst_HEADERS += framework/host/loader.h framework/host/params.h
