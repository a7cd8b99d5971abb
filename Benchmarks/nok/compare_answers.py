"""Whose clusters `nrcc run` should report, measured on finished runs (docs/defaults.md, "Whose
clusters a run reports"): each run's embedding and its set's raw pixels are laid out and
clustered without k by `nrcc cluster` with the same layout seeds, each partition's modularity
is taken on its own layout's 15-nearest-neighbour graph (as `layoutModularity` does), and the
partition of higher modularity is scored beside the two alone.

    python3 Benchmarks/nok/compare_answers.py RUN... --seeds 0 1 2

Each RUN is an `nrcc run` folder with labels (its settings.json names the set and split).
Layouts go to /tmp/nrcc-answers/.
"""
import argparse
import csv
import json
import os
import subprocess

import numpy as np
import scipy.sparse as sparse
from sklearn.neighbors import NearestNeighbors

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NRCC = os.path.join(ROOT, ".build", "release", "nrcc")
OUT = "/tmp/nrcc-answers"


def clusters(folder):
    return np.array([int(row["cluster"]) for row in csv.DictReader(open(f"{folder}/labels.csv"))])


def modularity(points, labels, k=15):
    """Newman's modularity of `labels` on the symmetrised, unweighted k-NN graph of `points`."""
    n = len(points)
    neighbours = NearestNeighbors(n_neighbors=k + 1).fit(points).kneighbors(points, return_distance=False)[:, 1:]
    graph = sparse.csr_matrix((np.ones(n * k), (np.repeat(np.arange(n), k), neighbours.ravel())), shape=(n, n))
    graph = graph.maximum(graph.T)
    labels = np.unique(labels, return_inverse=True)[1]
    degree = np.asarray(graph.sum(1)).ravel()
    total = degree.sum()
    members = sparse.csr_matrix((np.ones(n), (np.arange(n), labels)))
    inside = (members.T @ graph @ members).diagonal().sum()
    return inside / total - ((np.bincount(labels, weights=degree) / total) ** 2).sum()


def laid_out(arguments, folder):
    """`nrcc cluster ARGUMENTS`, once, into `folder`: (ACC, modularity)."""
    if not os.path.exists(f"{folder}.json"):
        result = subprocess.run([NRCC, "cluster", *arguments, "--output", folder, "--quiet", "--json"],
                                capture_output=True, text=True, check=True)
        open(f"{folder}.json", "w").write(result.stdout)
    scores = json.load(open(f"{folder}.json"))
    return scores["acc"], modularity(np.load(f"{folder}/coordinates.npy"), clusters(folder))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    arguments = parser.parse_args()
    rows = []
    for run in arguments.runs:
        settings = json.load(open(f"{run}/settings.json"))
        dataset = [settings["dataset"]] + (["--split", settings["split"]] if settings.get("split") else [])
        pixels_name = "-".join(dataset).replace("/", "_").replace(".", "")
        run_name = os.path.abspath(run).replace("/", "_")
        for seed in arguments.seeds:
            learned = laid_out([f"{run}/embeddings.npy", "--labels", f"{run}/labels.csv", "--metric", "cosine",
                                "--seed", str(seed)], f"{OUT}/{run_name}-s{seed}")
            pixels = laid_out([*dataset, "--seed", str(seed)], f"{OUT}/pixels{pixels_name}-s{seed}")
            chosen = pixels[0] if pixels[1] > learned[1] else learned[0]
            rows.append((learned[0], pixels[0], chosen))
            print(f"{run} seed {seed}: learned ACC {learned[0]:.3f} (modularity {learned[1]:.3f}), "
                  f"pixels {pixels[0]:.3f} ({pixels[1]:.3f}) -> {chosen:.3f}", flush=True)
    table = np.array(rows)
    print(f"{len(table)} layouts, mean ACC: learned {table[:, 0].mean():.3f}, pixels {table[:, 1].mean():.3f}, "
          f"the higher modularity {table[:, 2].mean():.3f}")


if __name__ == "__main__":
    main()
