"""The modularity rule's clusters split where the layout's own neighbour graph falls apart,
prototyped on the layouts of Benchmarks/nok.sh (docs/no-k.md, "Studied and not kept": not
kept, it splits the learned digits' pieces as readily as COIL-20's curves).

GridShift joins two COIL-20 objects whose curves touch in the layout; the modularity rule's
two contenders both keep them together. Inside such a cluster the 15-NN graph of the layout
often has two components, so each cluster is cut into the components of the graph restricted
to it (edges in either direction, or mutual neighbours only), keeping as clusters the
components of at least `share` of the median cluster size (smaller ones stay with their
cluster).

    python3 Benchmarks/nok/prototype_component_split.py runs/nok [runs/nok-seed1 ...]

Each argument is a `Benchmarks/nok.sh` output folder (its `layouts`, `rules` and `suite`).
"""
import os
import sys

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.neighbors import NearestNeighbors

from prototype_disconnected_merges import read_labels
from prototype_rules import acc

VARIANTS = [(0.25, False), (0.25, True), (0.5, False), (0.5, True)]  # (share, mutual)


def split(X, labels, share, mutual, k=15):
    """`labels` with each cluster cut into its components of the layout's k-NN graph."""
    neighbours = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X, return_distance=False)[:, 1:]
    n = len(X)
    rows, columns = np.repeat(np.arange(n), k), neighbours.ravel()
    inside = labels[rows] == labels[columns]
    graph = coo_matrix((np.ones(inside.sum()), (rows[inside], columns[inside])), shape=(n, n)).tocsr()
    component = connected_components(graph.minimum(graph.T) if mutual else graph.maximum(graph.T), directed=False)[1]
    minimum = share * np.median(np.bincount(labels))
    result, next_label = labels.copy(), labels.max() + 1
    for cluster in range(labels.max() + 1):
        members = np.where(labels == cluster)[0]
        pieces, sizes = np.unique(component[members], return_counts=True)
        large = pieces[sizes >= minimum][np.argsort(-sizes[sizes >= minimum])]
        for piece in large[1:]:
            result[members[component[members] == piece]] = next_label
            next_label += 1
    return result


def main(roots):
    for root in roots:
        means = np.zeros(1 + len(VARIANTS))
        names = sorted(os.listdir(f"{root}/layouts"))
        print(f"{root}:")
        for name in names:
            X = np.load(f"{root}/layouts/{name}/coordinates.npy")
            truth = np.unique(np.load(f"{root}/suite/{name}/labels.npy"), return_inverse=True)[1]
            kept = read_labels(f"{root}/rules/{name}-modularity", "cluster")
            partitions = [kept] + [split(X, kept, share, mutual) for share, mutual in VARIANTS]
            scores = [acc(truth, p) for p in partitions]
            means += np.array(scores) / len(names)
            if len({len(np.unique(p)) for p in partitions}) > 1:
                print(f"  {name}: " + "; ".join(f"{len(np.unique(p))}, {s:.3f}" for p, s in zip(partitions, scores)))
        print("  mean ACC: modularity rule %.4f; " % means[0]
              + "; ".join(f"{'mutual' if mutual else 'either'} edges, pieces of {share:g} of the median: {m:.4f}"
                        for (share, mutual), m in zip(VARIANTS, means[1:])))


if __name__ == "__main__":
    main(sys.argv[1:])
