"""Rules that use the input's own neighbour graph, not only the 3-D layout, prototyped in
NumPy (docs/no-k.md, "Studied and not kept"): GridShift's finest partition (at most 200
fragments) merged by how strongly the fragments connect in the 15-NN graph of the input
(cosine for images, Euclidean for points); the persistence rule with merges vetoed where the
input graph does not connect the two clusters; and the sweep's partition chosen by the
silhouette measured in the input space instead of the layout.

    python3 Benchmarks/nok/prototype_graph_rules.py runs/nok                # the suite
    python3 Benchmarks/nok/prototype_graph_rules.py --runs runs/demo ...    # nrcc run folders

A run folder gives its layout (coordinates.npy), its features (embeddings.npy) and labels.csv.
"""
import os
import sys

import numpy as np
from sklearn.metrics import pairwise_distances, silhouette_score
from sklearn.neighbors import NearestNeighbors

from prototype_rules import acc, best, compact, knn_density, persistence, silhouette_sampler, sweep

NEIGHBOURS = 15


def fragment_edges(labels, neighbours):
    """Edges of the symmetrised k-NN graph between (and within) fragments."""
    m = labels.max() + 1
    edges = np.zeros((m, m))
    np.add.at(edges, (np.repeat(labels, neighbours.shape[1]), labels[neighbours.ravel()]), 1)
    return edges + edges.T


def connectivity(edges, volumes, norm):
    """How strongly fragments connect: edges between them over the smaller volume ("min"), over
    the geometric mean ("geo"), or over what random wiring would give (PAGA's, "paga")."""
    if norm == "min":
        return edges / np.minimum.outer(volumes, volumes)
    if norm == "geo":
        return edges / np.sqrt(np.outer(volumes, volumes))
    return edges / (np.outer(volumes, volumes) / volumes.sum())


def merge_connected(labels, neighbours, threshold, norm):
    """Agglomerates fragments, the most connected pair first, while the connectivity is at
    least `threshold`."""
    labels = compact(labels)
    edges = fragment_edges(labels, neighbours)
    volumes = edges.sum(1)
    alive, root = np.ones(len(volumes), bool), np.arange(len(volumes))
    while alive.sum() > 1:
        index = np.where(alive)[0]
        strength = connectivity(edges[np.ix_(index, index)], volumes[index], norm)
        np.fill_diagonal(strength, 0)
        i, j = np.unravel_index(np.argmax(strength), strength.shape)
        if strength[i, j] < threshold:
            break
        a, b = index[i], index[j]
        edges[a] += edges[b]
        edges[:, a] += edges[:, b]
        edges[b], edges[:, b] = 0, 0
        volumes[a] += volumes[b]
        alive[b] = False
        root[root == b] = a
    return compact(root[labels])


class GraphVeto:
    """Refuses the persistence rule's merge of two clusters whose input-graph connectivity
    (edges between them over the smaller volume) is below `threshold`."""

    def __init__(self, labels, neighbours, threshold):
        self.edges = fragment_edges(labels, neighbours)
        self.volumes = self.edges.sum(1)
        self.threshold = threshold

    def refuses(self, x, y):
        return self.edges[x, y] / min(self.volumes[x], self.volumes[y]) < self.threshold

    def merged(self, into, other):
        self.edges[into] += self.edges[other]
        self.edges[:, into] += self.edges[:, other]
        self.edges[other], self.edges[:, other] = 0, 0
        self.volumes[into] += self.volumes[other]


def persistence_vetoed(s, threshold):
    labels = compact(s.finest)
    return compact(persistence(labels, s.density, s.layout_neighbours, 0.15, GraphVeto(labels, s.neighbours, threshold)))


def input_silhouette(partitions, features, metric, sample_size=2000):
    """The partition of highest mean silhouette measured in the input space, on one sample."""
    sample = np.sort(np.random.default_rng(0).choice(len(features), min(len(features), sample_size), replace=False))
    distances = pairwise_distances(features[sample].astype(np.float64), metric=metric)
    scores = [silhouette_score(distances, l[sample], metric="precomputed")
              if 2 <= len(np.unique(l[sample])) < len(sample) else -1 for l in partitions]
    return partitions[int(np.argmax(scores))]


RULES = {
    "silhouette": lambda s: s.silhouette,
    "persistence": lambda s: persistence(s.finest, s.density, s.layout_neighbours, 0.15),
    "graph merge min 0.05": lambda s: merge_connected(s.finest, s.neighbours, 0.05, "min"),
    "graph merge min 0.08": lambda s: merge_connected(s.finest, s.neighbours, 0.08, "min"),
    "graph merge paga 1": lambda s: merge_connected(s.finest, s.neighbours, 1, "paga"),
    "graph merge paga 2": lambda s: merge_connected(s.finest, s.neighbours, 2, "paga"),
    "persistence, veto 0.02": lambda s: persistence_vetoed(s, 0.02),
    "persistence, veto 0.05": lambda s: persistence_vetoed(s, 0.05),
    "input-space silhouette": lambda s: input_silhouette(s.partitions, s.features, s.metric),
}


class Set:
    def __init__(self, layout, features, metric, labels):
        self.layout, self.features, self.metric, self.labels = layout, features, metric, labels
        parts = sweep(layout)
        score = silhouette_sampler(layout)
        self.partitions = [l for h, l in parts if l.max() + 1 <= 200]
        self.silhouette = best([l for h, l in parts], [score(l) if l.max() + 1 <= 200 else None for h, l in parts])
        self.finest = max(self.partitions, key=lambda l: l.max())
        self.density, self.layout_neighbours = knn_density(layout)
        self.neighbours = NearestNeighbors(n_neighbors=NEIGHBOURS + 1, metric=metric, algorithm="brute") \
            .fit(features).kneighbors(features, return_distance=False)[:, 1:]


def suite_sets(root):
    for name in sorted(os.listdir(f"{root}/layouts")):
        if os.path.exists(f"{root}/layouts/{name}/coordinates.npy"):
            yield name, (np.load(f"{root}/layouts/{name}/coordinates.npy").astype(np.float64),
                         np.load(f"{root}/suite/{name}/features.npy"),
                         open(f"{root}/suite/{name}/metric").read().strip(), np.load(f"{root}/suite/{name}/labels.npy"))


def run_sets(folders):
    for folder in folders:
        labels = np.loadtxt(f"{folder}/labels.csv", delimiter=",", skiprows=1, dtype=int)[:, 2]
        yield folder, (np.load(f"{folder}/coordinates.npy").astype(np.float64),
                       np.load(f"{folder}/embeddings.npy"), "cosine", labels)


def main():
    sets = run_sets(sys.argv[2:]) if sys.argv[1] == "--runs" else suite_sets(sys.argv[1])
    scores = {rule: [] for rule in RULES}
    print("| data | k | " + " | ".join(RULES) + " |")
    print("|---|---|" + "---|" * len(RULES))
    for name, arrays in sets:
        s = Set(*arrays)
        cells = []
        for rule, choose in RULES.items():
            labels = compact(choose(s))
            scores[rule].append(acc(s.labels, labels))
            cells.append(f"{labels.max() + 1}, {scores[rule][-1]:.3f}")
        print(f"| {name} | {len(np.unique(s.labels))} | " + " | ".join(cells) + " |", flush=True)
    print("| mean ACC | | " + " | ".join(f"{np.mean(v):.3f}" for v in scores.values()) + " |")


if __name__ == "__main__":
    main()
