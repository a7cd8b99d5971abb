"""Where a learned digits run's augmented views land (docs/no-k.md, "Studied and not kept"):
a test of whether the trained network itself tells which of its clusters are pieces of one
class. Eight views of every digit (RandomResizedCrop of 30-100% of the area, ratio 3/4-4/3,
brightness and contrast jitter of 0.4 with probability 0.8: the CPU default's views, made by
torchvision), embedded by the run's checkpoint (`nrcc embed`); each view's five nearest
images, its own image excluded, vote for their clusters. Beside it, the same count for the
images themselves.

    python3 Benchmarks/nok/prototype_view_transitions.py RUN [DIGITS_FOLDER]

RUN is an `nrcc run --dataset digits` folder; DIGITS_FOLDER holds the digits' IDX files
(../shared/data/digits by default). Views and their embedding go to /tmp/nrcc-views/.
"""
import csv
import gzip
import math
import os
import subprocess
import sys

import numpy as np
import torch
import torchvision.transforms.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NRCC = os.environ.get("NOK_NRCC", os.path.join(ROOT, ".build", "release", "nrcc"))
OUT = "/tmp/nrcc-views"
VIEWS, NEIGHBOURS = 8, 5


def digits(folder):
    data = gzip.open(f"{folder}/digits-images-idx3-ubyte.gz").read()
    n, h, w = (int.from_bytes(data[4 * i:4 * i + 4], "big") for i in (1, 2, 3))
    return np.frombuffer(data[16:], np.uint8).reshape(n, h, w)


def views(images, seed=0):
    """VIEWS augmented views of every image, uint8, image by image."""
    rng = np.random.default_rng(seed)
    n, h, w = images.shape
    out = np.zeros((n * VIEWS, h, w), np.uint8)
    for i in range(n):
        image = torch.from_numpy(images[i].astype(np.float32) / 255)[None]
        for v in range(VIEWS):
            cw, ch = w, h
            for _ in range(10):  # torchvision's RandomResizedCrop.get_params
                area = h * w * rng.uniform(0.3, 1)
                ratio = math.exp(rng.uniform(math.log(3 / 4), math.log(4 / 3)))
                if 0 < round(math.sqrt(area * ratio)) <= w and 0 < round(math.sqrt(area / ratio)) <= h:
                    cw, ch = round(math.sqrt(area * ratio)), round(math.sqrt(area / ratio))
                    break
            top, left = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
            view = F.resized_crop(image, top, left, ch, cw, [h, w], antialias=False)
            if rng.uniform() < 0.8:
                view = F.adjust_contrast(F.adjust_brightness(view, rng.uniform(0.6, 1.4)), rng.uniform(0.6, 1.4))
            out[i * VIEWS + v] = np.clip(np.round(view[0].numpy() * 255), 0, 255)
    return out


def votes(queries, owners, references, clusters, count):
    """count x count: row a, the share of the neighbours of a's queries that lie in each cluster."""
    similarity = queries @ references.T
    similarity[np.arange(len(queries)), owners] = -2
    nearest = np.argsort(-similarity, axis=1)[:, :NEIGHBOURS]
    table = np.zeros((count, count))
    for j in range(NEIGHBOURS):
        np.add.at(table, (clusters[owners], clusters[nearest[:, j]]), 1)
    return table / table.sum(1, keepdims=True)


def main(run, folder=os.path.join(ROOT, "..", "shared", "data", "digits")):
    os.makedirs(OUT, exist_ok=True)
    np.save(f"{OUT}/views.npy", views(digits(folder)))
    subprocess.run([NRCC, "embed", "--checkpoint", f"{run}/training/checkpoint.safetensors", "--dataset",
                    f"{OUT}/views.npy", "--output", f"{OUT}/embedded.npy"], check=True, stdout=subprocess.DEVNULL)
    rows = list(csv.DictReader(open(f"{run}/labels.csv")))
    clusters = np.array([int(r["cluster"]) for r in rows])
    labels = np.array([int(r["label"]) for r in rows])
    images = np.load(f"{run}/embeddings.npy")
    images /= np.linalg.norm(images, axis=1, keepdims=True)
    embedded = np.load(f"{OUT}/embedded.npy")
    embedded /= np.linalg.norm(embedded, axis=1, keepdims=True)
    count = clusters.max() + 1
    seen = votes(embedded, np.repeat(np.arange(len(images)), VIEWS), images, clusters, count)
    clean = votes(images, np.arange(len(images)), images, clusters, count)
    majority = [np.bincount(labels[clusters == c]).argmax() for c in range(count)]
    for a in range(count):
        others = [b for b in np.argsort(-seen[a]) if b != a][:3]
        print(f"cluster {a} (mostly {majority[a]}, {np.sum(clusters == a)} images): views stay {seen[a, a]:.2f} "
              f"(images {clean[a, a]:.2f}); elsewhere "
              + ", ".join(f"{b} (mostly {majority[b]}) {seen[a, b]:.3f} (images {clean[a, b]:.3f})" for b in others))


if __name__ == "__main__":
    main(*sys.argv[1:])
