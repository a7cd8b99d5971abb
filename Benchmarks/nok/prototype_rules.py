"""Label-free rules for the number of clusters, prototyped in NumPy on the layouts that
Benchmarks/nok.sh leaves (docs/no-k.md, "Studied and not kept"): stability under subsampling
and ToMATo's merge hierarchy cut by the silhouette, beside the silhouette and persistence
rules they were compared with.

    python3 Benchmarks/nok/prototype_rules.py runs/nok [layout seed]

GridShift follows SPEC section 7 as Sources/Clustering/GridShift.swift does (it gives nrcc's
clusters on the suite's layouts); the silhouette's sample is NumPy's, not nrcc's.
"""
import os
import sys

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree
from sklearn.metrics import adjusted_rand_score as ari


def acc(y, p):
    """ACC with a rectangular Hungarian match, as SPEC section 8."""
    p = np.unique(p, return_inverse=True)[1]
    y = np.unique(y, return_inverse=True)[1]
    counts = np.zeros((p.max() + 1, y.max() + 1))
    np.add.at(counts, (p, y), 1)
    rows, columns = linear_sum_assignment(-counts)
    return counts[rows, columns].sum() / len(y)


NEIGHBOUR_OFFSETS = np.array([[a, b, c] for a in (-1, 0, 1) for b in (-1, 0, 1) for c in (-1, 0, 1)])


def encode(keys):
    """One int64 per 3-D cell key."""
    keys = keys + (1 << 20)
    return (keys[:, 0] << 42) | (keys[:, 1] << 21) | keys[:, 2]


def gridshift(X, h, maximum_iterations=200):
    """GridShift on 3-D points at cell side h (SPEC section 7): cells keep the sum and count of
    their points; each moves to the mean of its 27 neighbour cells' points; cells landing on
    one key merge, in cell order."""
    keys = np.floor(X / h).astype(np.int64)
    codes, cell_of_point = np.unique(encode(keys), return_inverse=True)
    sums = np.zeros((len(codes), 3))
    np.add.at(sums, cell_of_point, X)
    sizes = np.bincount(cell_of_point).astype(float)
    first_point = np.zeros(len(codes), int)
    first_point[cell_of_point[::-1]] = np.arange(len(X))[::-1]
    cell_keys = keys[first_point]
    for _ in range(maximum_iterations):
        codes = encode(cell_keys)
        order = np.argsort(codes)
        sorted_codes = codes[order]
        totals, counts = np.zeros((len(codes), 3)), np.zeros(len(codes))
        for offset in NEIGHBOUR_OFFSETS:
            wanted = encode(cell_keys + offset)
            at = np.minimum(np.searchsorted(sorted_codes, wanted), len(codes) - 1)
            hit = sorted_codes[at] == wanted
            totals[hit] += sums[order[at[hit]]]
            counts[hit] += sizes[order[at[hit]]]
        centres = totals / counts[:, None]
        largest_move = np.sqrt(((centres - sums / sizes[:, None]) ** 2).sum(1)).max()
        new_keys = np.floor(centres / h).astype(np.int64)
        key_changed = (new_keys != cell_keys).any()
        _, first, merged = np.unique(encode(new_keys), return_index=True, return_inverse=True)
        merged = np.argsort(np.argsort(first))[merged]
        sums = np.zeros((merged.max() + 1, 3))
        np.add.at(sums, merged, sizes[:, None] * centres)
        sizes = np.bincount(merged, weights=sizes)
        cell_keys = np.zeros((len(sizes), 3), np.int64)
        cell_keys[merged] = new_keys
        cell_of_point = merged[cell_of_point]
        if not key_changed and largest_move < 1e-4 * h:
            break
    return np.unique(cell_of_point, return_inverse=True)[1]


def sweep(X, steps_per_octave=6, octaves=8, maximum_clusters=200):
    """GridShift from h = half the layout's extent down by 2^(1/6), as nrcc's sweep."""
    extent = (X.max(0) - X.min(0)).max()
    partitions = []
    for step in range(octaves * steps_per_octave + 1):
        h = extent / 2 * 2 ** (-step / steps_per_octave)
        labels = gridshift(X, h)
        partitions.append((h, labels))
        if labels.max() + 1 > maximum_clusters:
            break
    return partitions


def silhouette_sampler(X, sample_size=2000, seed=0):
    """The mean silhouette of a labelling on one seeded sample of the points."""
    sample = np.sort(np.random.default_rng(seed).choice(len(X), min(len(X), sample_size), replace=False))
    S = X[sample]
    distances = np.sqrt(np.maximum(((S[:, None, :] - S[None, :, :]) ** 2).sum(-1), 0))

    def score(labels):
        labels = np.unique(labels[sample], return_inverse=True)[1]
        k = labels.max() + 1
        if k < 2:
            return None
        sizes = np.bincount(labels, minlength=k)
        sums = np.stack([distances[:, labels == c].sum(1) for c in range(k)], axis=1)
        rows = np.arange(len(sample))
        a = sums[rows, labels] / np.maximum(sizes[labels] - 1, 1)
        means = sums / sizes[None, :]
        means[rows, labels] = np.inf
        b = means.min(1)
        values = np.where(sizes[labels] > 1, (b - a) / np.maximum(np.maximum(a, b), 1e-300), 0)
        return values.mean()

    return score


def knn_density(X, k=15):
    """1 / r_k and the k nearest neighbours of every point, as Sources/Clustering/PersistenceMerge.swift."""
    distances, neighbours = cKDTree(X).query(X, k + 1)
    radius = distances[:, -1]
    return 1 / np.maximum(radius, radius[radius > 0].min()), neighbours[:, 1:]


def persistence(labels, density, neighbours, ratio=0.15, veto=None):
    """The persistence rule's merge (ToMATo over the k-NN graph, prominence relative to the
    lower peak), as Sources/Clustering/PersistenceMerge.swift. A `veto` (prototype_graph_rules)
    may refuse a merge (`refuses(x, y)`) and hears of each one made (`merged(into, other)`)."""
    k = neighbours.shape[1]
    peaks = np.zeros(labels.max() + 1)
    np.maximum.at(peaks, labels, density)
    a, b = np.repeat(labels, k), labels[neighbours.ravel()]
    height = np.minimum(np.repeat(density, k), density[neighbours.ravel()])
    crossing = a != b
    a, b, height = a[crossing], b[crossing], height[crossing]
    order = np.lexsort((b, a, -height))
    root = np.arange(len(peaks))

    def find(x):
        while root[x] != x:
            root[x] = root[root[x]]
            x = root[x]
        return x

    for x, y, h in zip(a[order], b[order], height[order]):
        x, y = find(x), find(y)
        if x == y or h < ratio * min(peaks[x], peaks[y]) or (veto is not None and veto.refuses(x, y)):
            continue
        if (peaks[x], y) < (peaks[y], x):
            x, y = y, x
        root[y] = x
        if veto is not None:
            veto.merged(x, y)
    return np.array([find(label) for label in range(len(peaks))])[labels]


# The rules. Each takes one set's sweep (`Sweep`) and returns a labelling.

RATIOS = [0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]


class Sweep:
    def __init__(self, X, seed):
        self.X = X
        self.parts = sweep(X)
        self.score = silhouette_sampler(X, seed=seed)
        self.silhouettes = [self.score(l) if l.max() + 1 <= 200 else None for h, l in self.parts]
        self.density, self.neighbours = knn_density(X)
        self.finest = max((l for h, l in self.parts if l.max() + 1 <= 200), key=lambda l: l.max())
        self.hierarchy = [compact(persistence(self.finest, self.density, self.neighbours, r)) for r in RATIOS]
        self.stability = subsample_stability(X, self.parts)


def compact(labels):
    return np.unique(labels, return_inverse=True)[1]


def best(candidates, values, finest_within=0.0):
    values = [v if v is not None else -np.inf for v in values]
    top = max(values)
    return candidates[[i for i, v in enumerate(values) if v >= top - finest_within][-1]]


def subsample_stability(X, parts, halves=3):
    rng = np.random.default_rng(0)
    subsets = [np.sort(rng.choice(len(X), len(X) // 2, replace=False)) for _ in range(halves)]
    return [None if not 2 <= l.max() + 1 <= 200 else np.mean([ari(l[s], gridshift(X[s], h)) for s in subsets])
            for h, l in parts]


RULES = {
    "silhouette": lambda s: best([l for h, l in s.parts], s.silhouettes),
    "persistence": lambda s: persistence(s.finest, s.density, s.neighbours, 0.15),
    "stability": lambda s: best([l for h, l in s.parts], s.stability),
    "stability within 0.02": lambda s: best([l for h, l in s.parts], s.stability, 0.02),
    "hierarchy by silhouette": lambda s: best(s.hierarchy, [s.score(l) for l in s.hierarchy]),
    "sweep and hierarchy by silhouette": lambda s: best(
        [l for h, l in s.parts if l.max() + 1 <= 200] + s.hierarchy,
        [s.score(l) for l in [l for h, l in s.parts if l.max() + 1 <= 200] + s.hierarchy]),
}


def main():
    root = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    scores = {rule: [] for rule in RULES}
    print("| data | k | " + " | ".join(RULES) + " |")
    print("|---|---|" + "---|" * len(RULES))
    for name in sorted(os.listdir(f"{root}/layouts")):
        path = f"{root}/layouts/{name}/coordinates.npy"
        if not os.path.exists(path):
            continue
        y = np.load(f"{root}/suite/{name}/labels.npy")
        s = Sweep(np.load(path).astype(np.float64), seed)
        cells = []
        for rule, choose in RULES.items():
            labels = compact(choose(s))
            scores[rule].append(acc(y, labels))
            cells.append(f"{labels.max() + 1}, {scores[rule][-1]:.3f}")
        print(f"| {name} | {len(np.unique(y))} | " + " | ".join(cells) + " |", flush=True)
    print("| mean ACC | | " + " | ".join(f"{np.mean(v):.3f}" for v in scores.values()) + " |")


if __name__ == "__main__":
    main()
