"""Stability across layout seeds, prototyped: several UMAP layouts of one set, each clustered
by a rule of `nrcc cluster`, combined into one partition without k.

    python3 Benchmarks/nok/prototype_consensus.py <suite dir> <runs dir> <rule> <seeds...>

expects `<runs dir>/<set>-<rule>-s<seed>/labels.csv` (from `nrcc cluster <suite>/<set>/features.npy
--select <rule> --seed <seed>`), and prints, per set and over the suite, found k and ACC of:
- each seed alone, and their mean (what a single layout gives);
- medoid: the seed whose partition agrees best (mean ARI) with the others';
- vote: the atoms (points that every layout puts together) joined by average linkage on their
  co-association (the share of layouts that put two atoms together), cut at one half (Fred and
  Jain's evidence accumulation with the majority threshold).
"""
import os
import sys

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from prototype_rules import acc


def vote(partitions, threshold=0.5):
    """Average-linkage over the atoms on 1 - co-association, cut at `threshold`."""
    atoms, point_atom = np.unique(partitions.T, axis=0, return_inverse=True)
    point_atom = point_atom.ravel()
    sizes = np.bincount(point_atom)
    if len(atoms) == 1:
        return np.zeros(partitions.shape[1], dtype=int)
    together = (atoms[:, None, :] == atoms[None, :, :]).mean(axis=2)
    # An atom of s points counts s times in the average; scipy's linkage has no weights.
    labels = weighted_average_linkage(1.0 - together, sizes, threshold)
    return labels[point_atom]


def weighted_average_linkage(distance, sizes, threshold):
    """UPGMA on items of given sizes, merging while the closest pair is below `threshold`."""
    n = len(sizes)
    d = distance.astype(float).copy()
    np.fill_diagonal(d, np.inf)
    size = sizes.astype(float).copy()
    members = [[i] for i in range(n)]
    while True:
        flat = np.argmin(d)
        i, j = divmod(flat, n)
        if d[i, j] >= threshold:
            break
        # Merge j into i: the new distance is the size-weighted mean.
        new = (size[i] * d[i] + size[j] * d[j]) / (size[i] + size[j])
        d[i] = new
        d[:, i] = new
        d[i, i] = np.inf
        d[j] = np.inf
        d[:, j] = np.inf
        size[i] += size[j]
        members[i].extend(members[j])
        members[j] = []
    labels = np.empty(n, dtype=int)
    for label, group in enumerate(g for g in members if g):
        labels[group] = label
    return labels


def medoid(partitions):
    s = len(partitions)
    agreement = np.zeros(s)
    for a in range(s):
        for b in range(s):
            if a != b:
                agreement[a] += adjusted_rand_score(partitions[a], partitions[b])
    return partitions[int(np.argmax(agreement))]


def main():
    suite, runs, rule = sys.argv[1:4]
    seeds = sys.argv[4:]
    rows = []
    for name in sorted(os.listdir(suite)):
        folders = [os.path.join(runs, f"{name}-{rule}-s{s}") for s in seeds]
        if not all(os.path.exists(os.path.join(f, "labels.csv")) for f in folders):
            continue
        truth = np.load(os.path.join(suite, name, "labels.npy"))
        partitions = np.stack([np.loadtxt(os.path.join(f, "labels.csv"), delimiter=",", skiprows=1,
                                          dtype=int)[:, 1] for f in folders])
        k = len(np.unique(truth))
        result = {"set": name, "k": k}
        singles = [(len(np.unique(p)), acc(truth, p)) for p in partitions]
        result["single"] = singles
        for method, labels in [("medoid", medoid(partitions)), ("vote", vote(partitions)),
                               ("vote0.3", vote(partitions, 0.3)), ("vote0.7", vote(partitions, 0.7))]:
            result[method] = (len(np.unique(labels)), acc(truth, labels),
                              normalized_mutual_info_score(truth, labels))
        rows.append(result)
        print(name, k, "singles", " ".join(f"{c}:{a:.3f}" for c, a in singles),
              "| medoid %d %.3f | vote %d %.3f | vote0.3 %d %.3f | vote0.7 %d %.3f" % (
                  *result["medoid"][:2], *result["vote"][:2], *result["vote0.3"][:2], *result["vote0.7"][:2]),
              flush=True)
    print("sets", len(rows))
    single_mean = np.mean([np.mean([a for _, a in r["single"]]) for r in rows])
    print("mean ACC: single %.3f" % single_mean, " ".join(
        "%s %.3f" % (m, np.mean([r[m][1] for r in rows])) for m in ["medoid", "vote", "vote0.3", "vote0.7"]))
    print("per seed:", " ".join("%.3f" % np.mean([r["single"][i][1] for r in rows]) for i in range(len(seeds))))


if __name__ == "__main__":
    main()
