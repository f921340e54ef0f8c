# framework/core engine: RNG, MLP, optimisers, schedules (part of libl2d)
framework_libl2d_la_SOURCES += framework/core/version.c framework/core/threads.c
l2dinclude_HEADERS += framework/include/l2d/l2d.h
# The commit the build is made from, refreshed on every make (the file is
# only rewritten when it changes, so nothing rebuilds needlessly). Outside a
# git checkout (a release tarball) it is the release version.
framework/core/build_commit.h: l2d-force-commit
	@$(MKDIR_P) framework/core; \
	c=`test -e $(srcdir)/.git && git -C $(srcdir) describe --always --dirty 2>/dev/null`; \
	test -n "$$c" || c=$(PACKAGE_VERSION); \
	echo "#define L2D_BUILD_COMMIT \"$$c\"" > $@.tmp; \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
.PHONY: l2d-force-commit
l2d-force-commit:
$(framework_libl2d_la_OBJECTS): framework/core/build_commit.h
CLEANFILES += framework/core/build_commit.h
framework_libl2d_la_SOURCES += framework/core/rng.c framework/core/mlp.c framework/core/mlp_small.c \
	framework/core/pool.c framework/core/cpu_path.c framework/core/optim.c \
	framework/core/schedule.c framework/core/parse_sizes.c
noinst_HEADERS += framework/core/mlp_impl.h framework/core/pool.h framework/core/cpu_path.h
# the model API (l2d/model.h): the handle and its CPU backend
l2dinclude_HEADERS += framework/include/l2d/model.h
framework_libl2d_la_SOURCES += framework/core/model.c framework/core/model_cpu.c \
	framework/core/model_check.c
noinst_HEADERS += framework/core/mlp.h framework/core/model_impl.h framework/core/model_check.h
# convolutional models on the CPU: the layers and the network of them
framework_libl2d_la_SOURCES += framework/core/layer_conv.c framework/core/layer_bn.c \
	framework/core/layer_pool.c framework/core/layer_elem.c framework/core/layer_linear.c \
	framework/core/convnet.c
noinst_HEADERS += framework/core/layers.h framework/core/convnet.h
