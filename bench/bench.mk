# bench/bench.mk: benchmarks, built by `make` but not run by `make check`.
# bench/run.sh times one SARD epoch in l2d (bench/sard_epoch) and PyTorch
# (bench/sard_epoch.py) on the same two CPU cores; bench/run_gpu.sh times the
# PyTorch variants (and l2d, once it has --device) on a GPU; see bench/README.md.
noinst_PROGRAMS = bench/sard_epoch
bench_sard_epoch_SOURCES = bench/sard_epoch.c
bench_sard_epoch_LDADD = framework/libl2d.la
EXTRA_DIST += bench/sard_epoch.py bench/run.sh bench/run_gpu.sh bench/pack.sh bench/README.md

# The engine's MLP on batches split across threads (the small path in
# framework/core/mlp_small.c, the pool in pool.c): a test, unlike the benchmarks.
check_PROGRAMS += t/test_mlp_threads
t_test_mlp_threads_SOURCES = t/test_mlp_threads.c
t_test_mlp_threads_LDADD = framework/libl2d.la
TESTS += t/test_mlp_threads
