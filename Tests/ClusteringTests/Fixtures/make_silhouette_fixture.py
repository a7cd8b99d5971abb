"""Writes ../SilhouetteFixture.swift: seeded 3-D points, three labellings of them, and
scikit-learn's `silhouette_score` of each (Euclidean, every point; scikit-learn 1.9.1).
The labellings: the blobs the points were drawn from, the same with point 0 alone in a
cluster of its own (a singleton scores 0), and random labels (a silhouette near or below 0).

Run from anywhere: python3 make_silhouette_fixture.py
"""
import os

import numpy as np
from sklearn.metrics import silhouette_score

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(7)
centres = np.array([[0, 0, 0], [4, 0, 0], [0, 5, 1]], dtype=np.float64)
blobs = rng.integers(0, 3, 150)
points = (centres[blobs] + rng.standard_normal((150, 3)) * np.array([0.6, 1.0, 1.4])).astype(np.float32)
singleton = blobs.copy()
singleton[0] = 3
random_labels = rng.integers(0, 4, 150)
labellings = {"blobs": blobs, "singleton": singleton, "random": random_labels}
scores = {name: silhouette_score(points.astype(np.float64), labels) for name, labels in labellings.items()}


def floats(values):
    return ",\n".join("        " + ", ".join(repr(float(v)) for v in row) for row in values)


def ints(values):
    return ", ".join(str(int(v)) for v in values)


with open(os.path.join(HERE, "..", "SilhouetteFixture.swift"), "w") as file:
    file.write("// Made by Fixtures/make_silhouette_fixture.py (scikit-learn 1.9.1, seed 7); do not edit.\n\n")
    file.write("/// 150 seeded 3-D points (row-major), three labellings, and scikit-learn's silhouette of each.\n")
    file.write("enum SilhouetteFixture {\n")
    file.write("    static let points: [Float] = [\n" + floats(points) + ",\n    ]\n")
    for name, labels in labellings.items():
        file.write(f"    static let {name}Labels: [Int] = [{ints(labels)}]\n")
    for name in labellings:
        file.write(f"    static let {name}Silhouette = {scores[name]!r}\n")
    file.write("}\n")
print(scores)
