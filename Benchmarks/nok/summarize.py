"""Prints the no-k benchmark's table (Benchmarks/nok.sh) as Markdown: for every data set,
each method's found k and ACC; then, per method, the means over the suite and how many sets
it found k for within a factor 1.25 (real sets) or 10% (synthetic sets of 40 and 100 blobs).

    python3 Benchmarks/nok/summarize.py <rules.jsonl> <reference.jsonl>
"""
import json
import sys
from collections import defaultdict

REAL = ["digits", "usps", "coil20", "fashion-test", "cifar10-subset"]


def load(paths):
    rows = []
    for path in paths:
        with open(path) as file:
            rows += [json.loads(line) for line in file if line.strip()]
    return rows


def k_ok(dataset, true_k, found_k):
    if dataset.startswith("blobs-k40") or dataset.startswith("blobs-k100"):
        return abs(found_k - true_k) <= 0.1 * true_k
    return true_k / 1.25 <= found_k <= true_k * 1.25


def main(paths):
    rows = load(paths)
    methods = list(dict.fromkeys(row["method"] for row in rows))
    by_set = defaultdict(dict)
    for row in rows:
        by_set[row["dataset"]][row["method"]] = row
    datasets = sorted(by_set, key=lambda name: (name not in REAL, REAL.index(name) if name in REAL else 0, name))
    short = [method.replace("nrcc ", "").replace("min_cluster_size=", "mcs ") for method in methods]
    print("| data | k | " + " | ".join(short) + " |")
    print("|---|---|" + "---|" * len(methods))
    for name in datasets:
        cells = []
        true_k = next(iter(by_set[name].values()))["true_k"]
        for method in methods:
            row = by_set[name].get(method)
            cells.append("" if row is None else f"{row['found_k']}, {row['acc']:.3f}")
        print(f"| {name} | {true_k} | " + " | ".join(cells) + " |")
    print()
    print("| method | mean ACC | mean NMI | mean ARI | k within bounds | ACC >= k-means (real sets) | mean seconds |")
    print("|---|---|---|---|---|---|---|")
    for method in methods:
        scored = [by_set[name][method] for name in datasets if method in by_set[name]]
        mean = lambda key: sum(row[key] for row in scored) / len(scored)
        within = sum(k_ok(row["dataset"], row["true_k"], row["found_k"]) for row in scored)
        beats = sum(1 for name in REAL if method in by_set[name] and "kmeans true k" in by_set[name]
                    and by_set[name][method]["acc"] >= by_set[name]["kmeans true k"]["acc"] - 1e-9)
        print(f"| {method} | {mean('acc'):.3f} | {mean('nmi'):.3f} | {mean('ari'):.3f} | {within} of {len(scored)} "
              f"| {beats} of {sum(1 for name in REAL if name in by_set)} | {mean('seconds'):.3f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
