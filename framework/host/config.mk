# framework/host/config.mk: the experiment configuration (INI, --set, schema,
# validation, sweep expansion), part of libl2d
framework_libl2d_la_SOURCES += framework/host/config.c framework/host/config_scan.c \
	framework/host/config_load.c framework/host/config_set.c framework/host/config_lookup.c \
	framework/host/config_text.c framework/host/config_schema.c \
	framework/host/config_params.c framework/host/config_validate.c \
	framework/host/config_expand.c framework/host/config_cells.c framework/host/rejector_arch.c
noinst_HEADERS += framework/host/cfg.h framework/host/cfg_impl.h framework/host/rejector_arch.h
