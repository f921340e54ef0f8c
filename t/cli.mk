# tests of the loader and the l2d command
# Fake plugins, each with one defect (t/plugins/fake.c), for the loader tests.
fake_flags = -module -avoid-version -shared -rpath /nowhere
check_LTLIBRARIES += t/plugins/fake-good.la t/plugins/fake-badgrad.la t/plugins/fake-magic.la \
	t/plugins/fake-abi.la t/plugins/fake-noentry.la t/plugins/fake-dup.la t/plugins/fake-default.la
t_plugins_fake_good_la_SOURCES = t/plugins/fake.c
t_plugins_fake_good_la_CPPFLAGS = $(AM_CPPFLAGS) -DFAKE_NAME='"fake-good"'
t_plugins_fake_good_la_LDFLAGS = $(fake_flags)
t_plugins_fake_badgrad_la_SOURCES = t/plugins/fake.c
t_plugins_fake_badgrad_la_CPPFLAGS = $(AM_CPPFLAGS) -DFAKE_NAME='"fake-badgrad"' -DFAKE_BAD_GRAD
t_plugins_fake_badgrad_la_LDFLAGS = $(fake_flags)
t_plugins_fake_magic_la_SOURCES = t/plugins/fake.c
t_plugins_fake_magic_la_CPPFLAGS = $(AM_CPPFLAGS) -DFAKE_NAME='"fake-magic"' -DFAKE_BAD_MAGIC
t_plugins_fake_magic_la_LDFLAGS = $(fake_flags)
t_plugins_fake_abi_la_SOURCES = t/plugins/fake.c
t_plugins_fake_abi_la_CPPFLAGS = $(AM_CPPFLAGS) -DFAKE_NAME='"fake-abi"' -DFAKE_ABI_MAJOR=3
t_plugins_fake_abi_la_LDFLAGS = $(fake_flags)
t_plugins_fake_noentry_la_SOURCES = t/plugins/fake.c
t_plugins_fake_noentry_la_CPPFLAGS = $(AM_CPPFLAGS) -DFAKE_NAME='"fake-noentry"' -DFAKE_NO_ENTRY
t_plugins_fake_noentry_la_LDFLAGS = $(fake_flags)
t_plugins_fake_dup_la_SOURCES = t/plugins/fake.c
t_plugins_fake_dup_la_CPPFLAGS = $(AM_CPPFLAGS) -DFAKE_NAME='"fake-dup"' -DFAKE_DUP_PARAM
t_plugins_fake_dup_la_LDFLAGS = $(fake_flags)
t_plugins_fake_default_la_SOURCES = t/plugins/fake.c
t_plugins_fake_default_la_CPPFLAGS = $(AM_CPPFLAGS) -DFAKE_NAME='"fake-default"' -DFAKE_DEFAULT='"99"'
t_plugins_fake_default_la_LDFLAGS = $(fake_flags)

# surrogates with right gradients that are no deferral surrogates
check_LTLIBRARIES += t/plugins/fake-wrongsign.la t/plugins/fake-infabove.la
t_plugins_fake_wrongsign_la_SOURCES = t/plugins/fake.c
t_plugins_fake_wrongsign_la_CPPFLAGS = $(AM_CPPFLAGS) -DFAKE_NAME='"fake-wrongsign"' -DFAKE_WRONG_SIGN
t_plugins_fake_wrongsign_la_LDFLAGS = $(fake_flags)
t_plugins_fake_infabove_la_SOURCES = t/plugins/fake.c
t_plugins_fake_infabove_la_CPPFLAGS = $(AM_CPPFLAGS) -DFAKE_NAME='"fake-infabove"' -DFAKE_INF_ABOVE
t_plugins_fake_infabove_la_LDFLAGS = $(fake_flags)
# one per remaining refusal of the loader
check_LTLIBRARIES += t/plugins/fake-minor.la t/plugins/fake-shortops.la t/plugins/fake-kind.la \
	t/plugins/fake-noloss.la t/plugins/fake-twins.la
t_plugins_fake_minor_la_SOURCES = t/plugins/fake.c
t_plugins_fake_minor_la_CPPFLAGS = $(AM_CPPFLAGS) -DFAKE_NAME='"fake-minor"' -DFAKE_ABI_MINOR=99
t_plugins_fake_minor_la_LDFLAGS = $(fake_flags)
t_plugins_fake_shortops_la_SOURCES = t/plugins/fake.c
t_plugins_fake_shortops_la_CPPFLAGS = $(AM_CPPFLAGS) -DFAKE_NAME='"fake-shortops"' -DFAKE_SHORT_OPS
t_plugins_fake_shortops_la_LDFLAGS = $(fake_flags)
t_plugins_fake_kind_la_SOURCES = t/plugins/fake.c
t_plugins_fake_kind_la_CPPFLAGS = $(AM_CPPFLAGS) -DFAKE_NAME='"fake-kind"' -DFAKE_KIND=9
t_plugins_fake_kind_la_LDFLAGS = $(fake_flags)
t_plugins_fake_noloss_la_SOURCES = t/plugins/fake.c
t_plugins_fake_noloss_la_CPPFLAGS = $(AM_CPPFLAGS) -DFAKE_NAME='"fake-noloss"' -DFAKE_NO_LOSS
t_plugins_fake_noloss_la_LDFLAGS = $(fake_flags)
t_plugins_fake_twins_la_SOURCES = t/plugins/fake.c
t_plugins_fake_twins_la_CPPFLAGS = $(AM_CPPFLAGS) -DFAKE_NAME='"fake-twins"' -DFAKE_TWIN_DESC
t_plugins_fake_twins_la_LDFLAGS = $(fake_flags)
# two files of one directory (t/plugins/same) that define one surrogate
# name, and a third in another directory (t/plugins/later) defining it again
check_LTLIBRARIES += t/plugins/same/dup-a.la t/plugins/same/dup-b.la t/plugins/later/dup-c.la
t_plugins_same_dup_a_la_SOURCES = t/plugins/fake.c
t_plugins_same_dup_a_la_CPPFLAGS = $(AM_CPPFLAGS) -DFAKE_NAME='"fake-same"'
t_plugins_same_dup_a_la_LDFLAGS = $(fake_flags)
t_plugins_same_dup_b_la_SOURCES = t/plugins/fake.c
t_plugins_same_dup_b_la_CPPFLAGS = $(AM_CPPFLAGS) -DFAKE_NAME='"fake-same"'
t_plugins_same_dup_b_la_LDFLAGS = $(fake_flags)
t_plugins_later_dup_c_la_SOURCES = t/plugins/fake.c
t_plugins_later_dup_c_la_CPPFLAGS = $(AM_CPPFLAGS) -DFAKE_NAME='"fake-good"'
t_plugins_later_dup_c_la_LDFLAGS = $(fake_flags)

check_PROGRAMS += t/test_params
t_test_params_SOURCES = t/test_params.c
t_test_params_LDADD = framework/libl2d.la

TESTS += t/test_params t/loader.sh t/cli.sh t/devices.sh t/device_run.sh
EXTRA_DIST += t/loader.sh t/cli.sh t/devices.sh t/device_run.sh
TESTS += t/adv.sh t/ci_skips.sh
EXTRA_DIST += t/adv.sh t/ci_skips.sh .ci/check-skips .ci/allowed-skips

# mutation testing (slow: a build and a full make check per mutation):
# every mutation of t/mutations.txt must make the tests fail
EXTRA_DIST += t/mutate.sh t/mutations.txt
mutate: all
	$(SHELL) $(srcdir)/t/mutate.sh $(srcdir)/t/mutations.txt
.PHONY: mutate

# the CUDA spy of t/workers_cuda.sh (an LD_PRELOAD shim over libcudart)
if HAVE_CUDA
check_LTLIBRARIES += t/plugins/cuda-spy.la
t_plugins_cuda_spy_la_SOURCES = t/plugins/cuda_spy.c
t_plugins_cuda_spy_la_LDFLAGS = $(fake_flags)
t_plugins_cuda_spy_la_LIBADD = -ldl
endif
TESTS += t/workers_cuda.sh
EXTRA_DIST += t/workers_cuda.sh t/plugins/cuda_spy.c
