# t/engine.mk: build fragment, included by Makefile.am
check_PROGRAMS += t/test_rng t/test_mlp t/test_optim t/test_schedule t/test_parse_sizes
t_test_rng_SOURCES = t/test_rng.c
t_test_rng_LDADD = framework/libl2d.la -lm
t_test_mlp_SOURCES = t/test_mlp.c
t_test_mlp_LDADD = framework/libl2d.la -lm
t_test_optim_SOURCES = t/test_optim.c
t_test_optim_LDADD = framework/libl2d.la -lm
t_test_schedule_SOURCES = t/test_schedule.c
t_test_schedule_LDADD = framework/libl2d.la -lm
t_test_parse_sizes_SOURCES = t/test_parse_sizes.c
t_test_parse_sizes_LDADD = framework/libl2d.la
TESTS += t/test_rng t/test_mlp t/test_optim t/test_schedule t/test_parse_sizes
EXTRA_DIST += t/data/rng_ref.py t/data/optim_ref.py
# the model API (l2d/model.h) on the CPU against the MLP and optimisers it wraps
check_PROGRAMS += t/test_model
t_test_model_SOURCES = t/test_model.c
t_test_model_LDADD = framework/libl2d.la -lm
TESTS += t/test_model
# the unit tests above and those of the other CPU-path users, once per forced
# CPU path (L2D_CPU_PATH); every path's gradients against finite differences
check_PROGRAMS += t/test_paths_grad
t_test_paths_grad_SOURCES = t/test_paths_grad.c t/plugin_util.h plugins/attacks/pgd_core.c
t_test_paths_grad_CFLAGS = $(AM_CFLAGS)
t_test_paths_grad_LDADD = framework/libl2d.la -lm
TESTS += t/test_paths_grad t/paths.sh
EXTRA_DIST += t/paths.sh
# convolutional models on the CPU: every layer against hand values and
# central differences, then the CNN and ResNet-4 models through the API
check_PROGRAMS += t/test_layers
t_test_layers_SOURCES = t/test_layers.c t/fdcheck.h t/tap.h
t_test_layers_LDADD = framework/libl2d.la -lm
TESTS += t/test_layers
check_PROGRAMS += t/test_convnet
t_test_convnet_SOURCES = t/test_convnet.c t/fdcheck.h t/tap.h
t_test_convnet_LDADD = framework/libl2d.la -lm
TESTS += t/test_convnet
EXTRA_DIST += t/data/conv_ref_dump.c t/data/conv_ref.py
