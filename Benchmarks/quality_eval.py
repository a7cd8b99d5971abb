"""Scores embeddings written by `nrcc-bench contrastive` in quality mode (see quality.sh),
two ways, against the labels; raw pixels go through the same steps:
- k given: UMAP to 3-D (SPEC section 6 settings, umap-learn) then k-means (10 restarts);
- no k: `nrcc cluster` on the same matrix, our UMAP then GridShift with its automatic
  bandwidth, which finds the number of clusters itself.
Prints one JSON line per (dataset, features).

    python3 Benchmarks/quality_eval.py <output dir> [nrcc binary, default .build/release/nrcc]
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

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


def score_with_k(features, labels, metric):
    coordinates = umap.UMAP(n_components=3, n_neighbors=10, min_dist=0.0, metric=metric,
                            random_state=0).fit_transform(features)
    kmeans = KMeans(n_clusters=len(np.unique(labels)), n_init=10, random_state=0).fit_predict(coordinates)
    return {"kmeans_acc": accuracy(labels, kmeans), "kmeans_nmi": normalized_mutual_info_score(labels, kmeans),
            "kmeans_ari": adjusted_rand_score(labels, kmeans)}


def score_without_k(nrcc, path, labels_path, metric):
    with tempfile.TemporaryDirectory() as output:
        result = subprocess.run([nrcc, "cluster", path, "--labels", labels_path, "--metric", metric,
                                 "--output", output, "--quiet", "--json"],
                                capture_output=True, text=True, check=True)
    scores = json.loads(result.stdout)
    return {"gridshift_clusters": scores["clusters"], "gridshift_acc": scores["acc"],
            "gridshift_nmi": scores["nmi"], "gridshift_ari": scores["ari"]}


def main(directory, nrcc):
    for labels_path in sorted(glob.glob(os.path.join(directory, "*-labels.npy"))):
        dataset = os.path.basename(labels_path)[: -len("-labels.npy")]
        labels = np.load(labels_path)
        for path in sorted(glob.glob(os.path.join(directory, f"{dataset}-*.npy"))):
            run = os.path.basename(path)[len(dataset) + 1: -len(".npy")]
            if run == "labels":
                continue
            name, metric = ("raw pixels", "euclidean") if run == "pixels" else (run, "cosine")
            print(json.dumps({"dataset": dataset, "name": "quality", "features": name,
                              **score_with_k(np.load(path), labels, metric),
                              **score_without_k(nrcc, path, labels_path, metric)}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ".build/release/nrcc")
