"""Writes the data sets of the no-k benchmark (Benchmarks/nok.sh), one folder each under
the given directory: `features.npy` (float32 N x D), `labels.npy` (int64) and `metric`
(the metric the set's features call for: cosine for images, euclidean for synthetic points).

    python3 Benchmarks/nok/make_suite.py <directory> [data directory, default ../shared/data] [suite]

`suite` is `standard` (the default, below) or `few-per-class`: the real sets cut down to a
few images of every class (10, 15, 20, 30 or 50, drawn with seed 0), the shape of the face
sets practitioners cluster (40 people with 10 photographs each, 15 with 11): digits at 10 and
30 a class, USPS at 15 and 50, COIL-20 at 10 and 20, Fashion-MNIST's test images at 20.

The suite (seed 0 everywhere):
- real sets, raw pixels scaled to [0, 1]: digits, USPS (all 9,298), COIL-20, Fashion-MNIST
  test (Debian's dataset-fashion-mnist), the CIFAR-10 subset;
- class subsets: the first k classes of COIL-20 (k = 2, 5, 10, 15) and of USPS (k = 2, 5);
- long-tailed: USPS and COIL-20 with class sizes falling geometrically from the largest to a
  tenth of it (imbalance 10), classes kept in label order;
- synthetic, as scikit-learn's clustering comparison makes them, in 10-D so that UMAP has
  work to do: Gaussian blobs with k = 3, 10, 40, 100 of unequal sizes (a factor 5 between
  the smallest and largest) and spreads (a factor 3), anisotropic blobs (k = 5, sheared),
  and two moons (lifted to 10-D with small noise).
"""
import gzip
import os
import sys

import numpy as np

FASHION = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def images(path):
    array = read_idx(path)
    return (array.reshape(len(array), -1) / 255.0).astype(np.float32)


def real_sets(data):
    sets = {}
    sets["digits"] = (images(f"{data}/digits/digits-images-idx3-ubyte.gz"),
                      read_idx(f"{data}/digits/digits-labels-idx1-ubyte.gz"))
    usps_x = np.concatenate([images(f"{data}/usps/usps-{s}-images-idx3-ubyte.gz") for s in ("train", "test")])
    usps_y = np.concatenate([read_idx(f"{data}/usps/usps-{s}-labels-idx1-ubyte.gz") for s in ("train", "test")])
    sets["usps"] = (usps_x, usps_y)
    sets["coil20"] = (images(f"{data}/coil20/coil20-32x32-images-idx3-ubyte.gz"),
                      read_idx(f"{data}/coil20/coil20-32x32-labels-idx1-ubyte.gz"))
    if os.path.exists(f"{FASHION}/t10k-images-idx3-ubyte.gz"):
        sets["fashion-test"] = (images(f"{FASHION}/t10k-images-idx3-ubyte.gz"),
                                read_idx(f"{FASHION}/t10k-labels-idx1-ubyte.gz"))
    raw = np.fromfile(f"{data}/cifar10-subset/data_batch_1_first4000.bin", dtype=np.uint8).reshape(-1, 3073)
    sets["cifar10-subset"] = ((raw[:, 1:] / 255.0).astype(np.float32), raw[:, 0])
    return sets


def subset(x, y, classes):
    keep = np.isin(y, classes)
    return x[keep], y[keep]


def long_tailed(x, y, imbalance, rng):
    classes = np.unique(y)
    largest = min(np.sum(y == c) for c in classes)
    keep = []
    for rank, c in enumerate(classes):
        size = int(round(largest * imbalance ** (-rank / (len(classes) - 1))))
        members = np.flatnonzero(y == c)
        keep.append(rng.choice(members, size=size, replace=False))
    keep = np.sort(np.concatenate(keep))
    return x[keep], y[keep]


def blobs(k, rng, dimension=10, smallest=60):
    """k Gaussian blobs, sizes from `smallest` to 5x it, spreads 0.5 to 1.5, centres uniform
    in the box (-10, 10)^dimension, as scikit-learn's `make_blobs` draws them."""
    sizes = np.round(smallest * 5 ** rng.uniform(0, 1, k)).astype(int)
    spreads = rng.uniform(0.5, 1.5, k)
    centres = rng.uniform(-10, 10, (k, dimension))
    x = np.concatenate([c + s * rng.standard_normal((n, dimension)) for c, s, n in zip(centres, spreads, sizes)])
    y = np.repeat(np.arange(k), sizes)
    return x.astype(np.float32), y


def anisotropic(rng, k=5, dimension=10):
    x, y = blobs(k, rng, dimension, smallest=200)
    shear = np.eye(dimension) + 0.6 * rng.standard_normal((dimension, dimension))
    return (x @ shear).astype(np.float32), y


def moons(rng, n=2000, dimension=10):
    t = rng.uniform(0, np.pi, n)
    y = rng.integers(0, 2, n)
    plane = np.where(y[:, None] == 0,
                     np.stack([np.cos(t), np.sin(t)], 1),
                     np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1))
    x = np.zeros((n, dimension))
    x[:, :2] = plane + 0.05 * rng.standard_normal((n, 2))
    x[:, 2:] = 0.05 * rng.standard_normal((n, dimension - 2))
    return x.astype(np.float32), y


def write(directory, name, x, y, metric):
    folder = os.path.join(directory, name)
    os.makedirs(folder, exist_ok=True)
    np.save(os.path.join(folder, "features.npy"), np.ascontiguousarray(x, dtype=np.float32))
    np.save(os.path.join(folder, "labels.npy"), np.asarray(y, dtype=np.int64))
    with open(os.path.join(folder, "metric"), "w") as f:
        f.write(metric + "\n")
    print(f"{name}: {len(y)} points, {x.shape[1]} dimensions, {len(np.unique(y))} classes")


def per_class(x, y, count, rng):
    """`count` images of every class, drawn without replacement, in their original order."""
    keep = np.sort(np.concatenate([rng.choice(np.flatnonzero(y == c), size=count, replace=False)
                                   for c in np.unique(y)]))
    return x[keep], y[keep]


FEW_PER_CLASS = (("digits", 10), ("digits", 30), ("usps", 15), ("usps", 50), ("coil20", 10), ("coil20", 20),
                 ("fashion-test", 20))


def few_per_class(directory, data):
    rng = np.random.default_rng(0)
    sets = real_sets(data)
    for name, count in FEW_PER_CLASS:
        if name in sets:
            write(directory, f"{name}-{count}-per-class", *per_class(*sets[name], count, rng), "cosine")


def main(directory, data):
    rng = np.random.default_rng(0)
    sets = real_sets(data)
    for name, (x, y) in sets.items():
        write(directory, name, x, y, "cosine")
    coil_x, coil_y = sets["coil20"]
    usps_x, usps_y = sets["usps"]
    for k in (2, 5, 10, 15):
        write(directory, f"coil20-k{k}", *subset(coil_x, coil_y, np.unique(coil_y)[:k]), "cosine")
    for k in (2, 5):
        write(directory, f"usps-k{k}", *subset(usps_x, usps_y, np.unique(usps_y)[:k]), "cosine")
    write(directory, "usps-longtail", *long_tailed(usps_x, usps_y, 10, rng), "cosine")
    write(directory, "coil20-longtail", *long_tailed(coil_x, coil_y, 10, rng), "cosine")
    for k in (3, 10, 40, 100):
        write(directory, f"blobs-k{k}", *blobs(k, rng), "euclidean")
    write(directory, "anisotropic-k5", *anisotropic(rng), "euclidean")
    write(directory, "moons", *moons(rng), "euclidean")


if __name__ == "__main__":
    suites = {"standard": main, "few-per-class": few_per_class}
    suite = sys.argv[3] if len(sys.argv) > 3 else "standard"
    if suite not in suites:
        sys.exit(f"make_suite.py: unknown suite {suite!r}; expected one of {', '.join(suites)}")
    suites[suite](sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "../shared/data")
