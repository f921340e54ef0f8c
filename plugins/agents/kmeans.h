/* Lloyd's k-means (k-means++ seeding, restarts), a canonical cluster order
 * and the elbow choice of k: the clustering behind cluster-expert. */
#ifndef L2D_AGENTS_KMEANS_H
#define L2D_AGENTS_KMEANS_H
#include <stddef.h>
#include <stdint.h>
#include "l2d/plugin.h"

/* Cluster x[n][dim] into k groups: `restarts` runs of k-means++ seeding
 * followed by at most `iters` Lloyd steps (stopping when no assignment
 * changes); the run of lowest inertia is kept. Writes centroids[k][dim]
 * (in the order of kmeans_order) and, if non-NULL, the inertia (sum of
 * squared distances to the nearest centroid). Deterministic in seed. A
 * cluster left empty (fewer distinct points than k) keeps a duplicate
 * centroid. */
int kmeans_fit(const float *x, size_t n, size_t dim, size_t k, unsigned iters, unsigned restarts,
               uint64_t seed, float *centroids, double *inertia, struct l2d_error *err);

/* Index of the centroid nearest to row (the lowest index on a tie); its
 * squared distance in *d2 if non-NULL. */
size_t kmeans_nearest(const float *centroids, size_t k, size_t dim, const float *row, double *d2);

/* Renumber clusters canonically: by size on x descending, ties by the
 * centroids' coordinates in lexicographic order, so C1 is the largest
 * cluster whatever order a run found them in. */
int kmeans_order(float *centroids, size_t k, size_t dim, const float *x, size_t n,
                 struct l2d_error *err);

enum kmeans_elbow_rule {
    KMEANS_ELBOW_LOGCURV = 0, /* max second difference of log inertia */
    KMEANS_ELBOW_KNEEDLE = 1  /* max distance below the chord (k=1 .. zmax) */
};
/* The elbow k in [1, zmax] from inertia[k - 1] = inertia with k clusters,
 * k = 1..zmax (zmax >= 3). LOGCURV picks k in 2..zmax-1 maximising
 * log W(k-1) - 2 log W(k) + log W(k+1): the curve falls steeply up to the
 * true number of well-separated groups and flattens after it, whatever
 * the scale of the earlier drops. KNEEDLE normalises k and W to [0, 1]
 * and picks the k farthest below the straight line from k = 1 to zmax.
 * Ties go to the smaller k. */
size_t kmeans_elbow(const double *inertia, size_t zmax, enum kmeans_elbow_rule rule);
#endif
