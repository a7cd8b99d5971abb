"""A divisive silhouette rule, prototyped on the suite's layouts and on `nrcc run` folders
(docs/no-k.md): the silhouette rule picks the partition of the whole layout, then each of its
clusters is swept again on its own points and split by its own best partition when that
partition's silhouette reaches a threshold; the parts are examined the same way.

The silhouette of the whole layout prefers a coarse cut where classes group into a few
super-groups (Fashion-MNIST's tops, shoes and the rest: 2 clusters at silhouette 0.63): the
question is whether each super-group's own structure, judged on its own, recovers the classes.

    python3 Benchmarks/nok/prototype_divisive.py SUITE_ROOT LAYOUTS_ROOT [RUN ...]

SUITE_ROOT holds `SET/labels.npy`, LAYOUTS_ROOT `SET-silhouette-s0/coordinates.npy` (the
consensus study's layouts); each RUN is an `nrcc run` folder (coordinates.npy, labels.csv).
"""
import csv
import os
import sys

import numpy as np

from prototype_rules import acc, best, compact, silhouette_sampler, sweep

THRESHOLDS = [0.5, 0.6, 0.7, 0.8]
MINIMUM_SIZE = 20


def silhouette_choice(X, seed=0):
    """The swept partition of highest sampled silhouette, and that silhouette (None: one cluster)."""
    parts = [labels for h, labels in sweep(X) if labels.max() + 1 <= 200]
    score = silhouette_sampler(X, seed=seed)
    values = [score(labels) for labels in parts]
    if all(v is None for v in values):
        return np.zeros(len(X), int), None
    chosen = best(parts, values)
    return chosen, max(v for v in values if v is not None)


def divisive(X, threshold, seed=0):
    """The silhouette rule, then every cluster split by its own silhouette choice while that
    choice's silhouette is at least `threshold`."""
    labels, _ = silhouette_choice(X, seed)
    labels = labels.copy()
    pending = list(range(labels.max() + 1))
    next_label = labels.max() + 1
    while pending:
        cluster = pending.pop()
        members = np.flatnonzero(labels == cluster)
        if len(members) < MINIMUM_SIZE:
            continue
        inner, value = silhouette_choice(X[members], seed)
        if value is None or value < threshold or inner.max() < 1:
            continue
        for part in range(1, inner.max() + 1):
            labels[members[inner == part]] = next_label
            pending.append(next_label)
            next_label += 1
        pending.append(cluster)
    return compact(labels)


def sets(suite_root, layouts_root, runs):
    for name in sorted(os.listdir(suite_root)):
        path = f"{layouts_root}/{name}-silhouette-s0/coordinates.npy"
        if os.path.exists(path):
            yield name, np.load(path).astype(np.float64), np.load(f"{suite_root}/{name}/labels.npy")
    for run in runs:
        with open(f"{run}/labels.csv") as file:
            truth = np.array([int(row["label"]) for row in csv.DictReader(file)])
        yield os.path.basename(run.rstrip("/")), np.load(f"{run}/coordinates.npy").astype(np.float64), truth


def report(suite_root, layouts_root, runs, rules, choose):
    """Prints one table row per set (found k, ACC for each rule; `choose(X)` gives every
    rule's labels) and the mean ACC over the suite and over the runs."""
    scores = {rule: [] for rule in rules}
    print("| data | k | " + " | ".join(rules) + " |")
    print("|---|---|" + "---|" * len(rules))
    for name, X, y in sets(suite_root, layouts_root, runs):
        chosen = choose(X)
        cells = []
        for rule in rules:
            labels = compact(chosen[rule])
            scores[rule].append((name, acc(y, labels)))
            cells.append(f"{labels.max() + 1}, {scores[rule][-1][1]:.3f}")
        print(f"| {name} | {len(np.unique(y))} | " + " | ".join(cells) + " |", flush=True)
    suite_names = set(os.listdir(suite_root))
    for title, keep in [("mean ACC, suite", lambda n: n in suite_names), ("mean ACC, runs", lambda n: n not in suite_names)]:
        print(f"| {title} | | " + " | ".join(
            f"{np.mean([a for n, a in v if keep(n)]):.3f}" if any(keep(n) for n, a in v) else "" for v in scores.values()) + " |")


def main():
    rules = ["silhouette"] + [f"divisive {t}" for t in THRESHOLDS]
    report(*sys.argv[1:3], sys.argv[3:], rules,
           lambda X: dict(zip(rules, [silhouette_choice(X)[0]] + [divisive(X, t) for t in THRESHOLDS])))


if __name__ == "__main__":
    main()
