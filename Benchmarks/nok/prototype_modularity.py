"""The modularity rule's prototype (docs/no-k.md, "The modularity rule"): the silhouette's and
the persistence rule's partitions of one sweep, and which of the two a neighbour graph's
modularity prefers, for three graphs (the input's 10-NN graph, umap-learn's fuzzy graph of the
input with 10 neighbours, the layout's 15-NN graph) at resolutions 0.25 to 1.

    python3 Benchmarks/nok/prototype_modularity.py OUT.json LAYOUTS_ROOT... [--runs RUN...]

Each LAYOUTS_ROOT is a `Benchmarks/nok.sh` output's `layouts` folder (its sets' features and
labels are read from the `suite` folder beside it); each RUN an `nrcc run` folder
(coordinates.npy, embeddings.npy, labels.csv). Prints one row per set (found k, ACC per
variant) and the means per group; OUT.json keeps every row.
"""
import csv
import json
import os
import sys
import warnings

import numpy as np
import scipy.sparse as sparse
from sklearn.neighbors import NearestNeighbors

from prototype_rules import acc, best, compact, knn_density, persistence, silhouette_sampler, sweep

GAMMAS = [0.25, 0.5, 0.75, 1.0]
GRAPHS = ["input", "fuzzy", "layout"]
VARIANTS = ["silhouette", "persistence"] + [f"{graph} {gamma}" for graph in GRAPHS for gamma in GAMMAS]


def symmetric(neighbours):
    """The unweighted graph joining each point to its neighbours, symmetrised."""
    n, k = neighbours.shape
    graph = sparse.csr_matrix((np.ones(n * k), (np.repeat(np.arange(n), k), neighbours.ravel())), shape=(n, n))
    return graph.maximum(graph.T)


def knn_graph(features, metric, k=10):
    search = NearestNeighbors(n_neighbors=k + 1, metric=metric, algorithm="brute" if metric == "cosine" else "auto")
    return symmetric(search.fit(features).kneighbors(features, return_distance=False)[:, 1:])


def modularity(graph, labels, gamma=1.0):
    """Newman's Q with resolution gamma on a symmetric (weighted) graph."""
    labels = compact(labels)
    degrees = np.asarray(graph.sum(1)).ravel()
    total = degrees.sum()
    membership = sparse.csr_matrix((np.ones(len(labels)), (np.arange(len(labels)), labels)))
    inside = (membership.T @ graph @ membership).diagonal().sum()
    return inside / total - gamma * ((np.bincount(labels, weights=degrees) / total) ** 2).sum()


def contenders(X):
    parts = [labels for h, labels in sweep(X) if 2 <= labels.max() + 1 <= 200] or [np.zeros(len(X), int)]
    score = silhouette_sampler(X)
    by_silhouette = best(parts, [score(labels) for labels in parts])
    density, neighbours = knn_density(X)
    finest = max(parts, key=lambda labels: labels.max())
    return by_silhouette, compact(persistence(finest, density, neighbours)), neighbours


def items(roots, runs):
    for root in roots:
        suite = os.path.join(os.path.dirname(root.rstrip("/")), "suite")
        for name in sorted(os.listdir(suite)):
            layout = f"{root}/{name}/coordinates.npy"
            if os.path.exists(layout):
                metric = open(f"{suite}/{name}/metric").read().strip()
                yield root, name, layout, np.load(f"{suite}/{name}/labels.npy"), f"{suite}/{name}/features.npy", metric
    for run in runs:
        with open(f"{run}/labels.csv") as file:
            truth = np.array([int(row["label"]) for row in csv.DictReader(file)])
        yield "runs", run, f"{run}/coordinates.npy", truth, f"{run}/embeddings.npy", "cosine"


def main():
    warnings.filterwarnings("ignore")
    from umap.umap_ import fuzzy_simplicial_set

    arguments = sys.argv[2:]
    split = arguments.index("--runs") if "--runs" in arguments else len(arguments)
    roots, runs = arguments[:split], arguments[split + 1:]
    rows = []
    print("| data | k | " + " | ".join(VARIANTS) + " |")
    for group, name, layout, truth, features_path, metric in items(roots, runs):
        X = np.load(layout).astype(np.float64)
        features = np.load(features_path)
        features = features.reshape(len(features), -1).astype(np.float32)
        by_silhouette, by_persistence, neighbours = contenders(X)
        graphs = {
            "input": knn_graph(features, metric),
            "fuzzy": fuzzy_simplicial_set(features, 10, np.random.RandomState(0), metric)[0].tocsr(),
            "layout": symmetric(neighbours),
        }
        row = {"group": group, "name": name, "k": len(np.unique(truth))}
        for variant, labels in [("silhouette", by_silhouette), ("persistence", by_persistence)]:
            row[variant] = (int(labels.max() + 1), acc(truth, labels))
        for graph in GRAPHS:
            for gamma in GAMMAS:
                scores = [modularity(graphs[graph], labels, gamma) for labels in (by_silhouette, by_persistence)]
                row[f"{graph} {gamma}"] = row["silhouette" if scores[0] >= scores[1] else "persistence"]
        rows.append(row)
        print(f"| {name} | {row['k']} | " + " | ".join(f"{row[v][0]}, {row[v][1]:.3f}" for v in VARIANTS) + " |", flush=True)
    with open(sys.argv[1], "w") as file:
        json.dump(rows, file)
    for group in dict.fromkeys(row["group"] for row in rows):
        print(f"| mean ACC, {group} | | " + " | ".join(
            f"{np.mean([row[v][1] for row in rows if row['group'] == group]):.3f}" for v in VARIANTS) + " |")


if __name__ == "__main__":
    main()
