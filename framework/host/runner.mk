# framework/host: running an experiment (part of libl2d)
framework_libl2d_la_SOURCES += framework/host/runner.c framework/host/cell_data.c framework/host/cell_run.c \
	framework/host/cell_attack.c framework/host/device_desc.c
noinst_HEADERS += framework/host/runner.h framework/host/cell_data.h framework/host/cell_run.h framework/host/cell_attack.h \
	framework/host/device_desc.h
