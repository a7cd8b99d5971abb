"""The silhouette's merges of pieces the graph does not join, prototyped on `nrcc cluster`'s own
partitions (docs/no-k.md, "Studied and not kept": not kept, it joins different classes too).

Modularity on the layout's 15-NN graph cannot judge two pieces with no edges between them:
joining them always lowers it, however close they lie. So where the silhouette's partition
joins such pieces (two clumps of one learned class) the modularity rule keeps them apart. The
variant studied here keeps the modularity rule's partition and then, inside each cluster of
the silhouette's partition, joins the modularity clusters it contains when the edges between
them are under a share of the smaller one's edges (they are apart in the graph, so the
distances are all there is to judge by, and the silhouette judged them).

    python3 Benchmarks/nok/prototype_disconnected_merges.py --suite runs/nok [--runs RUN...]

`--suite` is a `Benchmarks/nok.sh` output folder (its `layouts`, `rules` and `suite`); each RUN
an `nrcc run` folder (coordinates.npy, labels.csv with labels), clustered here by
`nrcc cluster --reducer none` with both rules into /tmp/nrcc-disconnected/.
"""
import argparse
import csv
import os
import subprocess

import numpy as np
from sklearn.neighbors import NearestNeighbors

from prototype_rules import acc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NRCC = os.environ.get("NOK_NRCC", os.path.join(ROOT, ".build", "release", "nrcc"))
SHARES = [0.01, 0.02, 0.05, 0.1]


def read_labels(folder, column):
    with open(f"{folder}/labels.csv") as file:
        return np.array([int(row[column]) for row in csv.DictReader(file)])


def edge_counts(X, labels, k=15):
    """Symmetrised 15-NN edges between clusters (k x k)."""
    neighbours = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X, return_distance=False)[:, 1:]
    count = labels.max() + 1
    counts = np.zeros((count, count))
    np.add.at(counts, (np.repeat(labels, k), labels[neighbours.ravel()]), 1)
    return counts + counts.T


def merged(X, kept, silhouette, share):
    """`kept` with the pieces inside one silhouette cluster joined where the graph barely links them."""
    counts = edge_counts(X, kept)
    volume = counts.sum(1)
    parent = list(range(kept.max() + 1))

    def root(i):
        while parent[i] != i:
            i = parent[i]
        return i

    for cluster in np.unique(silhouette):
        inside = silhouette == cluster
        pieces = [p for p in np.unique(kept[inside]) if (kept[inside] == p).sum() >= 0.5 * (kept == p).sum()]
        if len(pieces) < 2:
            continue
        links = max(counts[a, b] / min(volume[a], volume[b]) for i, a in enumerate(pieces) for b in pieces[i + 1:])
        if links < share:
            for piece in pieces[1:]:
                parent[root(piece)] = root(pieces[0])
    return np.array([root(p) for p in kept])


def study(name, X, truth, kept, silhouette):
    row = [name, str(truth.max() + 1), f"{kept.max() + 1}, {acc(truth, kept):.3f}",
           f"{silhouette.max() + 1}, {acc(truth, silhouette):.3f}"]
    for share in SHARES:
        labels = merged(X, kept, silhouette, share)
        row.append(f"{len(np.unique(labels))}, {acc(truth, labels):.3f}")
    return row


def from_suite(root):
    rows = []
    for name in sorted(os.listdir(f"{root}/layouts")):
        X = np.load(f"{root}/layouts/{name}/coordinates.npy")
        truth = np.load(f"{root}/suite/{name}/labels.npy")
        truth = np.unique(truth, return_inverse=True)[1]
        kept = read_labels(f"{root}/rules/{name}-modularity", "cluster")
        silhouette = read_labels(f"{root}/rules/{name}-silhouette", "cluster")
        rows.append(study(name, X, truth, kept, silhouette))
    return rows


def rule_partitions(run, rules, folder):
    """The true classes of an `nrcc run` folder and its layout clustered by each of `rules`
    (`nrcc cluster --reducer none --select RULE`, written below `folder`)."""
    out = folder + "/" + run.strip("/").replace("/", "-")
    partitions = {}
    for rule in rules:
        subprocess.run([NRCC, "cluster", f"{run}/coordinates.npy", "--reducer", "none", "--metric", "euclidean",
                        "--select", rule, "--labels", f"{run}/labels.csv", "--output", f"{out}-{rule}", "--quiet"],
                       check=True, stdout=subprocess.DEVNULL)
        partitions[rule] = read_labels(f"{out}-{rule}", "cluster")
    return np.unique(read_labels(run, "label"), return_inverse=True)[1], partitions


def from_run(run):
    truth, partitions = rule_partitions(run, ("modularity", "silhouette"), "/tmp/nrcc-disconnected")
    return study(run, np.load(f"{run}/coordinates.npy"), truth, partitions["modularity"], partitions["silhouette"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--suite")
    parser.add_argument("--runs", nargs="*", default=[])
    arguments = parser.parse_args()
    rows = (from_suite(arguments.suite) if arguments.suite else []) + [from_run(run) for run in arguments.runs]
    print("| data | k | modularity | silhouette | " + " | ".join(f"joined under {s:g}" for s in SHARES) + " |")
    print("|---|---|---|---|" + "---|" * len(SHARES))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    for column in range(2, len(rows[0])):
        values = [float(row[column].split(", ")[1]) for row in rows]
        print(f"column {column}: mean ACC {np.mean(values):.4f}")


if __name__ == "__main__":
    main()
