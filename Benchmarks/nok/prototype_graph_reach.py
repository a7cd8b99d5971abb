"""The modularity rule with the reach of its neighbour graph as a parameter, prototyped on the
layouts that Benchmarks/nok.sh leaves (docs/no-k.md, "The graph's reach on small sets"): the
persistence merge's density and graph, the joining's spacing and the modularity all use k
neighbours, where `nrcc` used 15 before and now a hundredth of the points (5 to 15).

    python3 Benchmarks/nok/prototype_graph_reach.py runs/nokfew-s0 runs/nok-s0 ...

Each argument is a Benchmarks/nok.sh output folder; the layout seed is read from its name's
`-sS` ending (the silhouette's sample is NumPy's, seeded by it). Prints one row per set (found
k and ACC under each reach) and each folder's mean ACC. With 15 neighbours it reproduces
`nrcc`'s modularity rule on most sets; the silhouette's sample differs from `nrcc`'s, so a few
sets whose silhouettes nearly tie come out otherwise.
"""
import os
import sys

import numpy as np
from scipy.spatial import cKDTree

from prototype_modularity import modularity, symmetric
from prototype_rules import acc, best, compact, persistence, silhouette_sampler, sweep

REACHES = {
    "15": lambda n: 15,
    "sqrt(n)/3": lambda n: int(min(15, max(4, np.ceil(np.sqrt(n) / 3)))),
    "sqrt(n)/4": lambda n: int(min(15, max(4, np.ceil(np.sqrt(n) / 4)))),
    "n/100 (nrcc)": lambda n: min(15, max(5, (n + 50) // 100)),
}
SHARE_OF_MEDIAN, JOINING_GAP, TOLERANCE = 0.25, 8.0, 0.01


def joined(X, labels, spacing):
    """Clusters under a quarter of the median size joined, whole, to the cluster of the nearest
    point among the larger ones when it lies within JOINING_GAP spacings (`joiningSmallClusters`)."""
    labels = compact(labels)
    sizes = np.bincount(labels)
    small = np.flatnonzero(sizes < SHARE_OF_MEDIAN * np.median(sizes))
    large = np.flatnonzero(sizes >= SHARE_OF_MEDIAN * np.median(sizes))
    if len(small) == 0 or len(large) == 0:
        return labels
    inside = np.isin(labels, large)
    tree, owners = cKDTree(X[inside]), labels[inside]
    target = np.arange(len(sizes))
    for cluster in small:
        distances, nearest = tree.query(X[labels == cluster], 1)
        if distances.min() <= JOINING_GAP * spacing:
            target[cluster] = owners[nearest[np.argmin(distances)]]
    return compact(target[labels])


def modularity_rule(X, k, partitions, silhouettes):
    scored = [(labels, value) for (h, labels), value in zip(partitions, silhouettes) if value is not None]
    by_silhouette = best([l for l, v in scored], [v for l, v in scored]) if scored else np.zeros(len(X), int)
    finest = max((labels for h, labels in partitions if labels.max() + 1 <= 200), key=lambda labels: labels.max())
    if len(X) <= k or finest.max() < 1:
        return by_silhouette
    distances, neighbours = cKDTree(X).query(X, k + 1)
    distances, neighbours = distances[:, 1:], neighbours[:, 1:]
    radius = distances[:, -1]
    density = 1 / np.maximum(radius, radius[radius > 0].min())
    spacing = np.median(radius)
    silhouette = joined(X, by_silhouette, spacing)
    merged = joined(X, persistence(finest, density, neighbours), spacing)
    graph = symmetric(neighbours)
    q_silhouette, q_merged = modularity(graph, silhouette), modularity(graph, merged)
    if abs(q_merged - q_silhouette) <= TOLERANCE and merged.max() != silhouette.max():
        return merged if merged.max() < silhouette.max() else silhouette
    return merged if q_merged > q_silhouette else silhouette


def main(roots):
    for root in roots:
        seed = int(root.rstrip("/").rsplit("-s", 1)[1]) if "-s" in os.path.basename(root.rstrip("/")) else 0
        scores = {name: [] for name in REACHES}
        for name in sorted(os.listdir(f"{root}/layouts")):
            X = np.load(f"{root}/layouts/{name}/coordinates.npy")
            truth = compact(np.load(f"{root}/suite/{name}/labels.npy"))
            partitions = sweep(X)
            score = silhouette_sampler(X, seed=seed)
            silhouettes = [score(labels) if 2 <= labels.max() + 1 <= 200 else None for h, labels in partitions]
            cells = []
            for reach, count in REACHES.items():
                labels = modularity_rule(X, count(len(X)), partitions, silhouettes)
                scores[reach].append(acc(truth, labels))
                cells.append(f"{labels.max() + 1}, {scores[reach][-1]:.3f}")
            print(f"| {name} | {len(X)} | {truth.max() + 1} | " + " | ".join(cells) + " |", flush=True)
        print(f"{root}: mean ACC " + ", ".join(f"{reach} {np.mean(values):.3f}" for reach, values in scores.items()))


if __name__ == "__main__":
    main(sys.argv[1:])
