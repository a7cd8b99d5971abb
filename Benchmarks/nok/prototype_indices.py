"""Other internal validity indices in place of the silhouette, prototyped on the same layouts
as prototype_divisive.py (docs/no-k.md): every swept partition of at most 200 clusters scored
by scikit-learn's Davies-Bouldin (lowest wins) and Calinski-Harabasz (highest wins) indices,
beside the sampled silhouette.

    python3 Benchmarks/nok/prototype_indices.py SUITE_ROOT LAYOUTS_ROOT [RUN ...]
"""
import sys

import numpy as np
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score

from prototype_divisive import report
from prototype_rules import best, silhouette_sampler, sweep


def choices(X):
    parts = [labels for h, labels in sweep(X) if 2 <= labels.max() + 1 <= 200]
    if not parts:
        return {rule: np.zeros(len(X), int) for rule in ("silhouette", "davies-bouldin", "calinski-harabasz")}
    score = silhouette_sampler(X)
    return {
        "silhouette": best(parts, [score(labels) for labels in parts]),
        "davies-bouldin": best(parts, [-davies_bouldin_score(X, labels) for labels in parts]),
        "calinski-harabasz": best(parts, [calinski_harabasz_score(X, labels) for labels in parts]),
    }


def main():
    report(*sys.argv[1:3], sys.argv[3:], ["silhouette", "davies-bouldin", "calinski-harabasz"], choices)


if __name__ == "__main__":
    main()
