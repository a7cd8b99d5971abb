"""What averaging an image's features over augmented views does to the clusters
(docs/embedding-views.md): each finished run's checkpoint embeds its set again with VIEWS views
(`nrcc embed --embedding-views VIEWS`; 0 takes the run's own embeddings.npy), and every
embedding is laid out with each layout seed and clustered without k and by k-means given the
true k on the same layout.

    python3 Benchmarks/nok/views_on_runs.py VIEWS OUT RUN... [--seeds 0 1 2]

Each RUN is an `nrcc run` folder with labels (its settings.json names the set and split).
Prints one line per run and layout seed: run, views, seed, clusters found, ACC, NMI, k-means ACC.
NOK_NRCC names another nrcc binary.
"""
import argparse
import csv
import json
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NRCC = os.environ.get("NOK_NRCC", os.path.join(ROOT, ".build", "release", "nrcc"))


def nrcc(*args):
    subprocess.run([NRCC, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def metrics(folder):
    return json.load(open(f"{folder}/metrics.json"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("views", type=int)
    parser.add_argument("out")
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    arguments = parser.parse_args()
    for run in (r.rstrip("/") for r in arguments.runs):
        settings = json.load(open(f"{run}/settings.json"))
        name = run.strip("/").replace("/", "_")
        out = os.path.join(arguments.out, f"{name}-v{arguments.views}")
        os.makedirs(out, exist_ok=True)
        labels = f"{run}/labels.csv"
        classes = len({row[-1] for row in list(csv.reader(open(labels)))[1:]})
        features = f"{run}/embeddings.npy"
        if arguments.views > 0:
            features = f"{out}/embeddings.npy"
            if not os.path.exists(features):
                split = ["--split", settings["split"]] if settings.get("split") else []
                nrcc("embed", "--checkpoint", f"{run}/training/checkpoint.safetensors", "--dataset", settings["dataset"],
                     *split, "--embedding-views", str(arguments.views), "--output", features)
        for seed in arguments.seeds:
            layout = f"{out}/layout{seed}"
            nrcc("cluster", features, "--labels", labels, "--metric", "cosine", "--seed", str(seed), "--output", layout)
            nrcc("cluster", f"{layout}/coordinates.npy", "--reducer", "none", "--labels", labels, "--method", "kmeans",
                 "--k", str(classes), "--output", f"{layout}-kmeans")
            found, given = metrics(layout), metrics(f"{layout}-kmeans")
            print(name, arguments.views, seed, found["clusters"], f"{found['acc']:.3f}", f"{found['nmi']:.3f}",
                  f"{given['acc']:.3f}", flush=True)


if __name__ == "__main__":
    main()
