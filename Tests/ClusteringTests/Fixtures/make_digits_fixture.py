"""Writes DigitsFixture.swift: UMAP-3D of the digits (umap-learn 0.5.12, seeded), their
labels, and what an independent Python GridShift (SPEC section 7: floor binning, member
lists, the stop rule) and the automatic bandwidth (every point a query) give on them.

Run from anywhere: python3 make_digits_fixture.py (writes ../DigitsFixture.swift)
"""
import gzip
import itertools
import os

import numpy as np
import umap

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "..", "shared", "data", "digits")
if not os.path.isdir(DATA):
    DATA = "/work/shared/data/digits"


def read_idx(path, offset):
    with gzip.open(path) as file:
        return np.frombuffer(file.read(), np.uint8, offset=offset)


images = read_idx(os.path.join(DATA, "digits-images-idx3-ubyte.gz"), 16).reshape(-1, 64).astype(np.float64)
labels = read_idx(os.path.join(DATA, "digits-labels-idx1-ubyte.gz"), 8).astype(int)
embedding = umap.UMAP(n_components=3, n_neighbors=15, random_state=0).fit_transform(images).astype(np.float32)
points = embedding.astype(np.float64)


def grid_shift(x, h, iterations=200):
    d = x.shape[1]
    cells, members = {}, {}
    for index, key in enumerate(map(tuple, np.floor(x / h).astype(np.int64))):
        if key not in cells:
            cells[key] = [np.zeros(d), 0.0]
            members[key] = []
        cells[key][0] += x[index]
        cells[key][1] += 1
        members[key].append(index)
    offsets = list(itertools.product([-1, 0, 1], repeat=d))
    passes = 0
    for _ in range(iterations):
        passes += 1
        merged, merged_members, changed, largest = {}, {}, False, 0.0
        for key, (total, count) in cells.items():
            neighbourhood, size = np.zeros(d), 0.0
            for offset in offsets:
                neighbour = tuple(a + b for a, b in zip(key, offset))
                if neighbour in cells:
                    neighbourhood += cells[neighbour][0]
                    size += cells[neighbour][1]
            centre = neighbourhood / size
            largest = max(largest, float(np.linalg.norm(centre - total / count)))
            new_key = tuple(np.floor(centre / h).astype(np.int64))
            changed |= new_key != key
            merged.setdefault(new_key, [np.zeros(d), 0.0])
            merged[new_key][0] += count * centre
            merged[new_key][1] += count
            merged_members.setdefault(new_key, []).extend(members[key])
        cells, members = merged, merged_members
        if not changed and largest < 1e-4 * h:
            break
    result = np.zeros(len(x), int)
    for cluster, key in enumerate(members):
        result[members[key]] = cluster
    return result, passes


def automatic_bandwidth(x, percentile=4.0):
    n = len(x)
    k = n // 14
    radii = []
    for query in range(n):
        distances = np.max(np.abs(x - x[query]), axis=1)
        distances = np.delete(distances, query)
        radii.append(np.partition(distances, k - 1)[k - 1])
    return float(np.percentile(np.array(radii, dtype=np.float32), percentile))


h_auto = automatic_bandwidth(embedding)
runs = []
for h in (h_auto, 0.5, 1.0):
    found, passes = grid_shift(points, float(np.float32(h)))
    runs.append((float(np.float32(h)), found, passes))

with open(os.path.join(HERE, "..", "DigitsFixture.swift"), "w") as out:
    out.write("// Made by Fixtures/make_digits_fixture.py (umap-learn 0.5.12, random_state 0); do not edit.\n\n")
    out.write("/// UMAP-3D of the 1,797 digits, row-major 1797 x 3, and their true classes.\n")
    out.write("enum DigitsFixture {\n")
    out.write("    static let points: [Float] = [\n")
    for row in embedding:
        out.write("        " + ", ".join(repr(float(v)) for v in row) + ",\n")
    out.write("    ]\n")
    out.write("    static let classes: [Int] = [" + ", ".join(str(v) for v in labels) + "]\n")
    out.write(f"    /// The automatic bandwidth with every point a query (numpy, float32 radii).\n")
    out.write(f"    static let automaticBandwidth: Float = {h_auto!r}\n")
    out.write("    /// (h, labels, passes) of the Python GridShift.\n")
    out.write("    static let gridShiftRuns: [(bandwidth: Float, labels: [Int], passes: Int)] = [\n")
    for h, found, passes in runs:
        out.write(f"        ({h!r}, [" + ", ".join(str(v) for v in found) + f"], {passes}),\n")
    out.write("    ]\n}\n")
print("h_auto", h_auto, [(h, len(set(found)), passes) for h, found, passes in runs])
