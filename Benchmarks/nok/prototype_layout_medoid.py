"""The medoid of several UMAP layouts of one learned embedding (docs/no-k.md, "Studied and not
kept", stability across layout seeds): each `nrcc run` folder's embedding laid out and
clustered without k with layout seeds 0-4 (`nrcc cluster RUN/embeddings.npy --metric cosine
--seed S`), and the partition whose mean ARI with the others is highest kept, among all five
layouts and among the first three.

    python3 Benchmarks/nok/prototype_layout_medoid.py RUN...

The clusterings go to /tmp/nrcc-medoid/ (kept between calls).
"""
import csv
import json
import os
import subprocess
import sys

import numpy as np
from sklearn.metrics import adjusted_rand_score

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NRCC = os.environ.get("NOK_NRCC", os.path.join(ROOT, ".build", "release", "nrcc"))
OUT = "/tmp/nrcc-medoid"
SEEDS = range(5)


def clustered(run, seed):
    """(ACC, clusters found, labels) of the run's embedding laid out with `seed`."""
    out = f"{OUT}/{run.strip('/').replace('/', '-')}-s{seed}"
    if not os.path.exists(f"{out}/metrics.json"):
        subprocess.run([NRCC, "cluster", f"{run}/embeddings.npy", "--labels", f"{run}/labels.csv", "--metric", "cosine",
                        "--seed", str(seed), "--output", out, "--quiet"], check=True, stdout=subprocess.DEVNULL)
    metrics = json.load(open(f"{out}/metrics.json"))
    labels = np.array([int(row["cluster"]) for row in csv.DictReader(open(f"{out}/labels.csv"))])
    return metrics["acc"], metrics["clusters"], labels


def medoid(partitions):
    agreement = np.array([[adjusted_rand_score(a, b) for b in partitions] for a in partitions])
    return int(np.argmax(agreement.sum(1)))


def main(runs):
    rows = []
    for run in runs:
        results = [clustered(run, seed) for seed in SEEDS]
        accs = np.array([r[0] for r in results])
        partitions = [r[2] for r in results]
        five, three = medoid(partitions), medoid(partitions[:3])
        rows.append((accs[0], accs.mean(), accs[five], accs[three]))
        print(f"{run}: found {[r[1] for r in results]}, ACC {' '.join(f'{a:.3f}' for a in accs)}; "
              f"medoid of 5: seed {five}, {accs[five]:.3f}; of 3: seed {three}, {accs[three]:.3f}")
    means = np.mean(rows, axis=0)
    print("mean ACC over the runs: layout seed 0 %.4f, one layout on average %.4f, medoid of 5 %.4f, of 3 %.4f"
          % tuple(means))


if __name__ == "__main__":
    main(sys.argv[1:])
