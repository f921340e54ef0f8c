# framework/core engine: RNG, MLP, optimisers, schedules (part of libl2d)
framework_libl2d_la_SOURCES += framework/core/version.c
l2dinclude_HEADERS += framework/include/l2d/l2d.h
