"""Scores embeddings written by `nrcc-bench contrastive` in quality mode (see quality.sh):
UMAP to 3-D (SPEC section 6 settings, umap-learn) then k-means (k given, 10 restarts),
against the labels; raw pixels go through the same steps. (The no-k column, GridShift with
its automatic bandwidth, belongs to the end-to-end pipeline: run `nrcc` on the embedding.) Prints one JSON line per (dataset, features).

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


def accuracy(truth, predicted):
    classes, clusters = np.unique(truth), np.unique(predicted)
    table = np.zeros((len(clusters), len(classes)))
    for i, c in enumerate(clusters):
        for j, k in enumerate(classes):
            table[i, j] = np.sum((predicted == c) & (truth == k))
    rows, columns = linear_sum_assignment(-table)
    return table[rows, columns].sum() / len(truth)


def score(name, features, labels, metric):
    coordinates = umap.UMAP(n_components=3, n_neighbors=10, min_dist=0.0, metric=metric,
                            random_state=0).fit_transform(features)
    kmeans = KMeans(n_clusters=len(np.unique(labels)), n_init=10, random_state=0).fit_predict(coordinates)
    return {"name": "quality", "features": name,
            "kmeans_acc": accuracy(labels, kmeans), "kmeans_nmi": normalized_mutual_info_score(labels, kmeans),
            "kmeans_ari": adjusted_rand_score(labels, kmeans)}


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
