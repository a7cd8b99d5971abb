"""umap-learn on the Fashion-MNIST test split to 3-D, the reference for the manifold suite.

Same input and settings as nrcc's `umap_fashion10k_3d` (SPEC 6: 10 neighbours, min_dist 0,
cosine, 3-D; 500 epochs at 10k points): pixels scaled to [0, 1]. `NRCC_FASHION_IMAGES` may name
another copy of the IDX file (gzipped or not). The numba JIT is warmed first on 5,000 points
(enough for umap-learn's approximate neighbour search); then one seeded single-threaded run
(random_state fixes the thread count to one) and an unseeded parallel one, each the median of
three runs as nrcc's figure is, printed as a JSON line with the same keys as nrcc's.
Trustworthiness: k = 10, euclidean on pixels, the first 5,000 points, of each mode's last run.
"""
import gzip
import json
import os
import resource
import time
import warnings

import numpy as np
from sklearn.manifold import trustworthiness
import umap

warnings.filterwarnings("ignore")
PATH = os.environ.get("NRCC_FASHION_IMAGES") or "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
SAMPLE = 5000
# Each mode is timed as nrcc's side is, the median of three runs (trustworthiness of the last).
REPEATS = 3


def peak_rss_mb():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main():
    if not os.path.exists(PATH):
        print(json.dumps({"name": "umap_fashion10k_3d_reference", "skipped": "Fashion-MNIST not found"}))
        return
    raw = (gzip.open if PATH.endswith(".gz") else open)(PATH, "rb").read()
    images = np.frombuffer(raw[16:], np.uint8).reshape(-1, 784).astype(np.float32) / 255.0
    n = images.shape[0]
    settings = dict(n_neighbors=10, min_dist=0.0, metric="cosine", n_components=3)

    # Warm the JIT in both modes, on enough points (>= 4096) that umap-learn takes its
    # approximate neighbour search (pynndescent), as it does for the full input.
    umap.UMAP(random_state=0, n_epochs=20, **settings).fit_transform(images[:5000])
    umap.UMAP(n_epochs=20, **settings).fit_transform(images[:5000])

    for mode, seed in [("seeded_single_thread", 0), ("unseeded_parallel", None)]:
        times = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            layout = umap.UMAP(random_state=seed, **settings).fit_transform(images)
            times.append(time.perf_counter() - start)
        seconds = sorted(times)[len(times) // 2]
        trust = trustworthiness(images[:SAMPLE], layout[:SAMPLE], n_neighbors=10)
        if seed is not None:
            os.makedirs("/tmp/nrcc-bench", exist_ok=True)
            layout.astype("<f4").tofile("/tmp/nrcc-bench/fashion10k-umap3d-reference.f32")
        print(json.dumps({
            "name": "umap_fashion10k_3d_reference", "mode": mode, "threads": os.cpu_count(),
            "points": n, "seconds": seconds, "seconds_each": times, "points_per_second": n / seconds,
            "trustworthiness": float(trust), "trustworthiness_points": SAMPLE,
            "peak_rss_mb": peak_rss_mb(),
        }, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
