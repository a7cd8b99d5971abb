"""Other neighbour graphs for a learned embedding, prototyped with umap-learn (docs/no-k.md,
"Reshaping the learned features before UMAP"): the features as they are, centred, whitened,
and the raw pixels' graph joined to the features' by umap-learn's fuzzy union or its
intersection. Each graph is laid out by umap-learn (seeded) and the layout clustered by nrcc
without k and by k-means with the true k:

    python3 Benchmarks/nok/prototype_feature_graphs.py SET RUN SEED... [--kinds features,centred,...]

SET is digits, usps, coil20, cifar10 or fashion-test (the pixels, read from ../shared/data or
Debian's Fashion-MNIST, in the order `nrcc run` uses); RUN is an `nrcc run` folder of that set.
Layouts and clusterings go to /tmp/nrcc-feature-graphs/SET. Prints one line per graph and seed.
"""
import argparse
import csv
import gzip
import json
import os
import subprocess
import warnings

import numpy as np
from umap.umap_ import (find_ab_params, fuzzy_simplicial_set, general_simplicial_set_intersection,
                        reset_local_connectivity, simplicial_set_embedding)

warnings.filterwarnings("ignore")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "..", "shared", "data")
NRCC = os.path.join(ROOT, ".build", "release", "nrcc")
KINDS = ["features", "centred", "whitened", "pixels", "union", "intersection", "intersection25"]


def idx(path):
    raw = gzip.open(path).read()
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(raw[3])]
    return np.frombuffer(raw[4 + 4 * raw[3]:], np.uint8).reshape(dims)


def pixels(name):
    """The set's images (n x pixels, uint8) and labels, train before test."""
    def pair(folder, stem):
        return idx(f"{DATA}/{folder}/{stem}-images-idx3-ubyte.gz"), idx(f"{DATA}/{folder}/{stem}-labels-idx1-ubyte.gz")
    if name == "usps":
        (a, la), (b, lb) = pair("usps", "usps-train"), pair("usps", "usps-test")
        return np.concatenate([a, b]), np.concatenate([la, lb])
    if name == "cifar10":
        records = np.fromfile(f"{DATA}/cifar10-subset/data_batch_1_first4000.bin", np.uint8).reshape(-1, 3073)
        return records[:, 1:], records[:, 0]
    if name == "fashion-test":
        folder = "/usr/share/datasets/fashion-mnist"
        return idx(f"{folder}/t10k-images-idx3-ubyte.gz"), idx(f"{folder}/t10k-labels-idx1-ubyte.gz")
    return pair(name, {"digits": "digits", "coil20": "coil20-32x32"}[name])


def graph(points):
    """umap-learn's fuzzy graph: 10 neighbours, cosine."""
    return fuzzy_simplicial_set(points, 10, np.random.RandomState(0), "cosine")[0]


def graphs(kinds, features, images):
    """The graphs named by `kinds`, built only as needed."""
    built = {}
    def get(kind):
        if kind in built:
            return built[kind]
        if kind == "features":
            g = graph(features)
        elif kind == "centred":
            g = graph(features - features.mean(0))
        elif kind == "whitened":
            centred = features - features.mean(0)
            _, singular, directions = np.linalg.svd(centred, full_matrices=False)
            keep = singular > singular[0] * 1e-3
            g = graph((centred @ directions[keep].T) / singular[keep])
        elif kind == "pixels":
            g = graph(images)
        elif kind == "union":
            g = get("features") + get("pixels") - get("features").multiply(get("pixels"))
            g.eliminate_zeros()
        else:
            mix = 0.25 if kind == "intersection25" else 0.5
            g = reset_local_connectivity(general_simplicial_set_intersection(get("features"), get("pixels"), mix))
        built[kind] = g
        return g
    return {kind: get(kind) for kind in kinds}


def layout(g, seed):
    """umap-learn's layout of `g`: 3-D, min_dist 0, spectral start, seeded."""
    a, b = find_ab_params(1.0, 0.0)
    epochs = 500 if g.shape[0] <= 10_000 else 200
    embedding, _ = simplicial_set_embedding(None, g, 3, 1.0, a, b, 1.0, 5, epochs, "spectral",
                                            np.random.RandomState(seed), "euclidean", {}, False, {}, False,
                                            output_metric="euclidean")
    return embedding.astype(np.float32)


def cluster(path, labels, output, extra):
    command = [NRCC, "cluster", path, "--reducer", "none", "--metric", "euclidean", "--labels", labels,
               "--output", output, "--quiet", "--json"] + extra
    return json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("set")
    parser.add_argument("run")
    parser.add_argument("seeds", type=int, nargs="+")
    parser.add_argument("--kinds", default="features,centred,whitened")
    arguments = parser.parse_args()
    kinds = arguments.kinds.split(",")
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown:
        parser.error(f"unknown graph {unknown}; expected some of {','.join(KINDS)}")

    images, truth = pixels(arguments.set)
    images = images.reshape(len(images), -1).astype(np.float32) / 255
    features = np.load(f"{arguments.run}/embeddings.npy").astype(np.float32)
    labels = np.array([int(row["label"]) for row in csv.DictReader(open(f"{arguments.run}/labels.csv"))])
    if len(labels) != len(truth) or (labels != truth).any():
        raise SystemExit(f"{arguments.run} does not hold {arguments.set} in nrcc's order")
    out = f"/tmp/nrcc-feature-graphs/{arguments.set}"
    os.makedirs(out, exist_ok=True)
    np.save(f"{out}/labels.npy", truth.astype(np.int64))
    k = str(len(set(truth.tolist())))
    for kind, g in graphs(kinds, features, images).items():
        for seed in arguments.seeds:
            path = f"{out}/{kind}-s{seed}.npy"
            np.save(path, layout(g, seed))
            found = cluster(path, f"{out}/labels.npy", f"{out}/{kind}-s{seed}", [])
            given = cluster(path, f"{out}/labels.npy", f"{out}/{kind}-s{seed}-kmeans", ["--method", "kmeans", "--k", k])
            print(arguments.set, kind, seed, "no k:", found["clusters"], round(found["acc"], 3),
                  "k-means:", round(given["acc"], 3), flush=True)


if __name__ == "__main__":
    main()
