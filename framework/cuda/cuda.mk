# framework/cuda: the CUDA backend, part of libl2d when configure finds the
# toolkit. .cu files go through nvcc under libtool: libtool would add -fPIC
# and -DPIC, which nvcc rejects, so the rule asks for non-PIC and hands
# -fPIC to the host compiler itself. Every .cu (libl2d's, the plugins',
# the tests') sees the public headers and config.h only: framework's own
# .cu files include their neighbours by relative name, so a plugin's device
# code cannot reach the framework's internals, as its C code cannot.
SUFFIXES = .cu
.cu.lo:
	$(AM_V_CC)$(LIBTOOL) $(AM_V_lt) --tag=CC --mode=compile $(NVCC) -prefer-non-pic \
	  --compiler-options=-fPIC,-Wall $(CUDA_ARCH_FLAGS) -std=c++17 $(DEFS) $(DEFAULT_INCLUDES) \
	  -I$(top_srcdir)/framework/include $(CUDA_CFLAGS) $(CPPFLAGS) $(NVCCFLAGS) -c -o $@ $<

l2dinclude_HEADERS += framework/include/l2d/device.h
framework_libl2d_la_SOURCES += framework/cuda/device.c
if HAVE_CUDA
framework_libl2d_la_SOURCES += framework/cuda/selftest.cu \
	framework/cuda/linear_kernels.cu framework/cuda/optim_kernels.cu \
	framework/cuda/model_cuda.c framework/cuda/train_kernels.cu framework/cuda/train_cuda.c \
	framework/cuda/objective_kernels.cu framework/cuda/objectives_cuda.c \
	framework/cuda/eval_cuda.c
framework_libl2d_la_CFLAGS += $(CUDA_CFLAGS)
framework_libl2d_la_LIBADD += $(CUDA_LIBS)
endif
EXTRA_DIST += framework/cuda/selftest.cu framework/cuda/linear_kernels.cu \
	framework/cuda/optim_kernels.cu framework/cuda/train_kernels.cu \
	framework/cuda/objective_kernels.cu
noinst_HEADERS += framework/cuda/kernels.h framework/cuda/cuda_check.h framework/cuda/model_cuda.h \
	framework/cuda/train_cuda.h framework/cuda/objectives_cuda.h framework/cuda/eval_cuda.h

check_PROGRAMS += t/test_device t/test_cuda_device
t_test_device_SOURCES = t/test_device.c
t_test_device_LDADD = framework/libl2d.la
t_test_cuda_device_SOURCES = t/test_cuda_device.c
t_test_cuda_device_LDADD = framework/libl2d.la
TESTS += t/test_device t/test_cuda_device

# GPU tests: each compares kernels with their CPU twins and skips where
# there is no CUDA device. They read CUDA memory directly, hence the flags.
if HAVE_CUDA
GPU_TESTS = t/test_cuda_device t/test_cuda_model t/test_cuda_train t/test_cuda_objectives \
	t/test_cuda_train_plugins
check_PROGRAMS += t/test_cuda_model t/test_cuda_train t/test_cuda_objectives \
	t/test_cuda_train_plugins
# the toy surrogate with device ops, for the training tests
check_LTLIBRARIES += t/libcudatoy.la
t_libcudatoy_la_SOURCES = t/cuda_toy_surrogate.cu t/cuda_toy_surrogate.h
t_libcudatoy_la_LIBADD = $(CUDA_LIBS)
t_test_cuda_train_SOURCES = t/test_cuda_train.c t/cuda_test_util.h
t_test_cuda_train_CFLAGS = $(AM_CFLAGS) $(CUDA_CFLAGS)
t_test_cuda_train_LDADD = t/libcudatoy.la framework/libl2d.la $(CUDA_LIBS) -lm
t_test_cuda_objectives_SOURCES = t/test_cuda_objectives.c t/cuda_test_util.h
t_test_cuda_objectives_CFLAGS = $(AM_CFLAGS) $(CUDA_CFLAGS)
t_test_cuda_objectives_LDADD = framework/libl2d.la $(CUDA_LIBS) -lm
t_test_cuda_model_SOURCES = t/test_cuda_model.c t/cuda_test_util.h
t_test_cuda_model_CFLAGS = $(AM_CFLAGS) $(CUDA_CFLAGS)
t_test_cuda_model_LDADD = framework/libl2d.la $(CUDA_LIBS) -lm
TESTS += t/test_cuda_model t/test_cuda_train t/test_cuda_objectives t/test_cuda_train_plugins
t_test_cuda_train_plugins_SOURCES = t/test_cuda_train_plugins.c t/cuda_test_util.h
t_test_cuda_train_plugins_CFLAGS = $(AM_CFLAGS) $(CUDA_CFLAGS)
t_test_cuda_train_plugins_LDADD = framework/libl2d.la $(CUDA_LIBS) -lm
endif

# `make gpu-pack [GPU_PACK_DIR=dir]`: build the GPU tests and gather them
# with what a GPU machine may lack (t/gpu/pack.sh); there, DIR/run.sh runs
# them all and prints the TAP summary.
GPU_PACK_DIR = $(abs_top_builddir)/.gpu/cuda
gpu-pack: all $(GPU_TESTS)
	$(SHELL) $(top_srcdir)/t/gpu/pack.sh $(GPU_PACK_DIR)
.PHONY: gpu-pack
EXTRA_DIST += t/gpu/pack.sh t/gpu/run.sh t/gpu/libs.sh t/gpu/same_answers.sh t/gpu/devices.sh t/gpu/compare_dbs.py
