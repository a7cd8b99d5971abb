"""Prints the no-k benchmark's table (Benchmarks/nok.sh) as Markdown: for every data set,
each method's found k and ACC; then, per method, the means over the suite and how many sets
it found k for within a factor 1.25 (real sets) or 10% (synthetic sets of 40 and 100 blobs).

    python3 Benchmarks/nok/summarize.py <rules.jsonl> <reference.jsonl>
    python3 Benchmarks/nok/summarize.py --seeds runs/nok runs/nok-seed1 runs/nok-seed2

The second form reads several output folders of Benchmarks/nok.sh (one per layout seed) and
prints each method's mean over the suite as mean +- standard deviation over the seeds.
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
    # The real sets this suite holds (none in the few-per-class suite: "-").
    real = [name for name in REAL if name in by_set]
    for method in methods:
        scored = [by_set[name][method] for name in datasets if method in by_set[name]]
        mean = lambda key: sum(row[key] for row in scored) / len(scored)
        within = sum(k_ok(row["dataset"], row["true_k"], row["found_k"]) for row in scored)
        beats = sum(1 for name in real if method in by_set[name] and "kmeans true k" in by_set[name]
                    and by_set[name][method]["acc"] >= by_set[name]["kmeans true k"]["acc"] - 1e-9)
        print(f"| {method} | {mean('acc'):.3f} | {mean('nmi'):.3f} | {mean('ari'):.3f} | {within} of {len(scored)} "
              f"| {f'{beats} of {len(real)}' if real else '-'} | {mean('seconds'):.3f} |")


def method_means(rows):
    """Per method: mean ACC, NMI, ARI over the suite and the sets whose k is within bounds."""
    grouped = defaultdict(list)
    for row in rows:
        grouped[row["method"]].append(row)
    return {method: {"acc": sum(r["acc"] for r in scored) / len(scored),
                     "nmi": sum(r["nmi"] for r in scored) / len(scored),
                     "ari": sum(r["ari"] for r in scored) / len(scored),
                     "within": sum(k_ok(r["dataset"], r["true_k"], r["found_k"]) for r in scored),
                     "sets": len(scored)}
            for method, scored in grouped.items()}


def over_seeds(folders):
    runs = [method_means(load([f"{folder}/rules.jsonl", f"{folder}/reference.jsonl"])) for folder in folders]
    methods = list(runs[0])
    spread = lambda values: (sum(values) / len(values),
                             (sum((v - sum(values) / len(values)) ** 2 for v in values) / max(1, len(values) - 1)) ** 0.5)
    print(f"| method | mean ACC ({len(runs)} seeds) | mean NMI | mean ARI | sets with k within bounds |")
    print("|---|---|---|---|---|")
    for method in methods:
        cells = []
        for key in ("acc", "nmi", "ari"):
            mean, deviation = spread([run[method][key] for run in runs if method in run])
            cells.append(f"{mean:.3f} +- {deviation:.3f}")
        within = [run[method]["within"] for run in runs if method in run]
        cells.append(" / ".join(str(w) for w in within) + f" of {runs[0][method]['sets']}")
        print(f"| {method} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    if sys.argv[1] == "--seeds":
        over_seeds(sys.argv[2:])
    else:
        main(sys.argv[1:])
