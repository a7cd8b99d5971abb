"""Other internal validity indices in place of the silhouette, prototyped on the same layouts
as prototype_divisive.py (docs/no-k.md): every swept partition of at most 200 clusters scored
by scikit-learn's Davies-Bouldin (lowest wins) and Calinski-Harabasz (highest wins) indices,
beside the sampled silhouette.

    python3 Benchmarks/nok/prototype_indices.py SUITE_ROOT LAYOUTS_ROOT [RUN ...]
"""
import os
import sys

import numpy as np
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score

from prototype_divisive import sets
from prototype_rules import acc, best, compact, silhouette_sampler, sweep


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
    suite_root, layouts_root, runs = sys.argv[1], sys.argv[2], sys.argv[3:]
    rules = ("silhouette", "davies-bouldin", "calinski-harabasz")
    scores = {rule: [] for rule in rules}
    print("| data | k | " + " | ".join(rules) + " |")
    print("|---|---|" + "---|" * len(rules))
    for name, X, y in sets(suite_root, layouts_root, runs):
        chosen = choices(X)
        cells = []
        for rule in rules:
            labels = compact(chosen[rule])
            scores[rule].append((name, acc(y, labels)))
            cells.append(f"{labels.max() + 1}, {scores[rule][-1][1]:.3f}")
        print(f"| {name} | {len(np.unique(y))} | " + " | ".join(cells) + " |", flush=True)
    suite_names = set(os.listdir(suite_root))
    for title, keep in [("mean ACC, suite", lambda n: n in suite_names), ("mean ACC, runs", lambda n: n not in suite_names)]:
        print(f"| {title} | | " + " | ".join(
            f"{np.mean([a for n, a in v if keep(n)]):.3f}" if any(keep(n) for n, a in v) else "" for v in scores.values()) + " |")


if __name__ == "__main__":
    main()
