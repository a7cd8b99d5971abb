"""Scores embeddings written by `nrcc-bench contrastive` in quality mode (see quality.sh):
UMAP to 3-D (SPEC section 6 settings, umap-learn) then k-means (k given, 10 restarts) and
GridShift (no k, SPEC section 7 with its automatic bandwidth), against the labels; raw
pixels go through the same steps. Prints one JSON line per (dataset, features).

    python3 Benchmarks/quality_eval.py <output dir>
"""
import glob
import json
import os
import sys

import numpy as np
import umap
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.neighbors import NearestNeighbors


def accuracy(truth, predicted):
    classes, clusters = np.unique(truth), np.unique(predicted)
    table = np.zeros((len(clusters), len(classes)))
    for i, c in enumerate(clusters):
        for j, k in enumerate(classes):
            table[i, j] = np.sum((predicted == c) & (truth == k))
    rows, columns = linear_sum_assignment(-table)
    return table[rows, columns].sum() / len(truth)


def grid_shift(points, seed=0, iterations=200):
    """SPEC section 7: floor cells, 3^d neighbourhood means, merge, member lists."""
    rng = np.random.default_rng(seed)
    sample = points[rng.choice(len(points), min(len(points), 5000), replace=False)]
    k = max(1, len(sample) // 14)
    distances, _ = NearestNeighbors(n_neighbors=k + 1, metric="chebyshev").fit(sample).kneighbors(sample)
    h = np.percentile(distances[:, 1:], 4)
    keys = [tuple(np.floor(p / h).astype(int)) for p in points]
    cells = {}
    for index, key in enumerate(keys):
        cell = cells.setdefault(key, [np.zeros(points.shape[1]), 0, []])
        cell[0] += points[index]
        cell[1] += 1
        cell[2].append(index)
    offsets = np.array(np.meshgrid(*[[-1, 0, 1]] * points.shape[1])).reshape(points.shape[1], -1).T
    for _ in range(iterations):
        new_cells, moved, changed = {}, 0.0, False
        for key, (total, count, members) in cells.items():
            s, c = np.zeros(points.shape[1]), 0
            for offset in offsets:
                neighbour = cells.get(tuple(np.array(key) + offset))
                if neighbour is not None:
                    s += neighbour[0]
                    c += neighbour[1]
            centre = s / c
            new_key = tuple(np.floor(centre / h).astype(int))
            changed |= new_key != key
            moved = max(moved, np.abs(centre - total / count).max())
            cell = new_cells.setdefault(new_key, [np.zeros(points.shape[1]), 0, []])
            cell[0] += centre * count
            cell[1] += count
            cell[2].extend(members)
        cells = new_cells
        if not changed and moved < 1e-4 * h:
            break
    labels = np.empty(len(points), dtype=int)
    for label, (_, _, members) in enumerate(cells.values()):
        labels[members] = label
    return labels, h


def score(name, features, labels, metric):
    coordinates = umap.UMAP(n_components=3, n_neighbors=10, min_dist=0.0, metric=metric,
                            random_state=0).fit_transform(features)
    kmeans = KMeans(n_clusters=len(np.unique(labels)), n_init=10, random_state=0).fit_predict(coordinates)
    found, bandwidth = grid_shift(coordinates)
    return {"name": "quality", "features": name,
            "kmeans_acc": accuracy(labels, kmeans), "kmeans_nmi": normalized_mutual_info_score(labels, kmeans),
            "kmeans_ari": adjusted_rand_score(labels, kmeans),
            "gridshift_acc": accuracy(labels, found), "gridshift_nmi": normalized_mutual_info_score(labels, found),
            "gridshift_ari": adjusted_rand_score(labels, found), "gridshift_k": int(len(np.unique(found))),
            "gridshift_bandwidth": float(bandwidth)}


def main(directory):
    for labels_file in sorted(glob.glob(os.path.join(directory, "*-labels.npy"))):
        dataset = os.path.basename(labels_file)[: -len("-labels.npy")]
        labels = np.load(labels_file)
        pixels = np.load(os.path.join(directory, f"{dataset}-pixels.npy"))
        print(json.dumps({"dataset": dataset, **score("raw pixels", pixels, labels, "euclidean")}), flush=True)
        for path in sorted(glob.glob(os.path.join(directory, f"{dataset}-*.npy"))):
            run = os.path.basename(path)[len(dataset) + 1: -len(".npy")]
            if run in ("labels", "pixels"):
                continue
            print(json.dumps({"dataset": dataset, **score(run, np.load(path), labels, "cosine")}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
