"""scikit-learn's MeanShift (bin seeding, bandwidth 1.0) and KMeans (k = 10, 10 restarts) on
the points nrcc-bench's clustering suite uses, printed as JSON lines with the same keys as
its figures (`clustering_modeseeking_10k` -> `clustering_modeseeking_10k_reference`, ...).

Points, as in Benchmarks/NRCCBenchmarks/ClusteringBenchmarks.swift: the UMAP output
/tmp/nrcc-bench/fashion10k-umap3d.f32 (fashion70k-umap3d.f32 for 70k) when present, else
the first 10k (all 70k) rows of /tmp/nrcc-bench/blobs-3d.f32, which `nrcc-bench clustering`
writes; raw little-endian float32, n x 3. KMeans also runs on the 10k x 784 points of
/tmp/nrcc-bench/blobs-784d.f32. Run `nrcc-bench clustering` first.
"""
import json
import os
import resource
import statistics
import sys
import time

import numpy as np
from sklearn.cluster import KMeans, MeanShift

DIRECTORY = "/tmp/nrcc-bench"


def load(count):
    umap_file = os.path.join(DIRECTORY, "fashion10k-umap3d.f32" if count == 10_000 else "fashion70k-umap3d.f32")
    for path in (umap_file, os.path.join(DIRECTORY, "blobs-3d.f32")):
        if os.path.exists(path):
            points = np.fromfile(path, dtype="<f4")
            if points.size % 3 == 0 and points.size >= count * 3:
                return points[: count * 3].reshape(count, 3), path
    return None, None


def median_seconds(body, warmup=1, repeats=3):
    for _ in range(warmup):
        body()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def emit(name, fields):
    fields = dict(fields, name=name)
    fields.setdefault("peak_rss_mb", round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))
    print(json.dumps(fields, sort_keys=True), flush=True)


def main():
    for count, label in ((10_000, "10k"), (70_000, "70k")):
        points, source = load(count)
        if points is None:
            print(f"clustering_reference: no points for {label} in {DIRECTORY}; run `nrcc-bench clustering` first",
                  file=sys.stderr)
            continue
        common = {"points": count, "dimension": 3, "source": source}
        result = {}

        def mean_shift():
            result["meanshift"] = MeanShift(bandwidth=1.0, bin_seeding=True).fit(points)

        seconds = median_seconds(mean_shift)
        emit(f"clustering_modeseeking_{label}_reference", dict(
            common, method="sklearn MeanShift bin_seeding", bandwidth=1.0, seconds=seconds,
            points_per_second=count / seconds, clusters=int(len(result["meanshift"].cluster_centers_))))

        def k_means():
            result["kmeans"] = KMeans(n_clusters=10, n_init=10, random_state=0).fit(points)

        seconds = median_seconds(k_means, warmup=0)
        emit(f"clustering_kmeans_{label}_reference", dict(
            common, method="sklearn KMeans", k=10, restarts=10, seconds=seconds,
            points_per_second=count / seconds, inertia=float(result["kmeans"].inertia_)))

    path = os.path.join(DIRECTORY, "blobs-784d.f32")
    if os.path.exists(path):
        points = np.fromfile(path, dtype="<f4").reshape(-1, 784)
        result = {}

        def wide_k_means():
            result["kmeans"] = KMeans(n_clusters=10, n_init=10, random_state=0).fit(points)

        seconds = median_seconds(wide_k_means, warmup=0)
        emit("clustering_kmeans_784d_10k_reference", dict(
            points=len(points), dimension=784, source=path, method="sklearn KMeans", k=10, restarts=10,
            seconds=seconds, points_per_second=len(points) / seconds, inertia=float(result["kmeans"].inertia_)))


if __name__ == "__main__":
    main()
