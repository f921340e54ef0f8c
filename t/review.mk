# Review: bad inputs through the l2d command (t/review.sh).
TESTS += t/review.sh
EXTRA_DIST += t/review.sh
