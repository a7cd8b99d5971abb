"""An arbitration by the evenness of the cluster sizes, prototyped on `nrcc cluster`'s own
partitions (docs/no-k.md, "Studied and not kept"): of the silhouette's and the persistence
rule's partitions, keep the one whose sizes are more even (exp(entropy) / k, 1 for equal
sizes; a one-cluster partition never), when the two differ by more than 0.02, and the modularity
rule's choice otherwise.

    python3 Benchmarks/nok/prototype_evenness.py --suite runs/nok [--runs RUN...]

As `prototype_disconnected_merges.py`: `--suite` is a `Benchmarks/nok.sh` output folder, each
RUN an `nrcc run` folder whose layout (coordinates.npy) is clustered here by each rule.
"""
import argparse
import os

import numpy as np

from prototype_disconnected_merges import read_labels, rule_partitions
from prototype_rules import acc

MARGIN = 0.02


def evenness(labels):
    sizes = np.bincount(labels)
    sizes = sizes[sizes > 0]
    if len(sizes) < 2:
        return 0.0
    shares = sizes / sizes.sum()
    return float(np.exp(-(shares * np.log(shares)).sum()) / len(sizes))


def row(name, truth, partitions):
    silhouette, persistence, modularity = (partitions[rule] for rule in ("silhouette", "persistence", "modularity"))
    gap = evenness(persistence) - evenness(silhouette)
    chosen = modularity if abs(gap) <= MARGIN else (persistence if gap > 0 else silhouette)
    cells = [f"{len(np.unique(labels))}, {acc(truth, labels):.3f}" for labels in (modularity, silhouette, persistence, chosen)]
    return [name, str(truth.max() + 1)] + cells


def from_suite(root):
    rows = []
    for name in sorted(os.listdir(f"{root}/layouts")):
        truth = np.unique(np.load(f"{root}/suite/{name}/labels.npy"), return_inverse=True)[1]
        partitions = {rule: read_labels(f"{root}/rules/{name}-{rule}", "cluster")
                      for rule in ("silhouette", "persistence", "modularity")}
        rows.append(row(name, truth, partitions))
    return rows


def from_run(run):
    truth, partitions = rule_partitions(run, ("silhouette", "persistence", "modularity"), "/tmp/nrcc-evenness")
    return row(run, truth, partitions)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--suite")
    parser.add_argument("--runs", nargs="*", default=[])
    arguments = parser.parse_args()
    suite = from_suite(arguments.suite) if arguments.suite else []
    runs = [from_run(run) for run in arguments.runs]
    print("| data | k | modularity | silhouette | persistence | evenness |")
    print("|---|---|---|---|---|---|")
    for cells in suite + runs:
        print("| " + " | ".join(cells) + " |")
    for label, rows in (("suite", suite), ("runs", runs)):
        if rows:
            means = [np.mean([float(cells[column].split(", ")[1]) for cells in rows]) for column in range(2, 6)]
            print(f"{label}: mean ACC modularity {means[0]:.4f}, silhouette {means[1]:.4f}, "
                  f"persistence {means[2]:.4f}, evenness {means[3]:.4f}")


if __name__ == "__main__":
    main()
