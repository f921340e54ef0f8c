# `make install` into a scratch DESTDIR, then the out-of-tree example plugin
# built against it (t/install.sh).
TESTS += t/install.sh
EXTRA_DIST += t/install.sh
AM_TESTS_ENVIRONMENT += \
	MAKE='$(MAKE)'; CC='$(CC)'; PKG_CONFIG='$(PKG_CONFIG)'; \
	inst_bindir='$(bindir)'; inst_libdir='$(libdir)'; inst_pkglibdir='$(pkglibdir)'; \
	inst_includedir='$(includedir)'; inst_pkgdatadir='$(pkgdatadir)'; inst_docdir='$(docdir)'; inst_prefix='$(prefix)'; \
	export MAKE CC PKG_CONFIG inst_bindir inst_libdir inst_pkglibdir inst_includedir inst_pkgdatadir inst_docdir inst_prefix;

# Installing relinks the plugins, which briefly moves plugins/.libs/*.so
# aside: run this test only after every other test has finished with them.
t/install.log: $(TEST_LOGS:t/install.log=)

# the test's DESTDIR (inside the build tree on purpose), should it be stopped
clean-local:
	-rm -rf t/install.dest

# the install test with its prefix switch, which rebuilds this tree in place:
# alone, never beside other tests
check-install-prefix: all
	$(MAKE) $(AM_MAKEFLAGS) check TESTS=t/install.sh L2D_TEST_REBUILD=1
.PHONY: check-install-prefix
