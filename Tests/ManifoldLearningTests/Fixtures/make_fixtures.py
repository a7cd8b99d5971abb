"""Reference values for ManifoldLearningTests, from umap-learn 0.5.12 and scikit-learn 1.9.1.

Run from this folder: `python3 make_fixtures.py`. Seeds are fixed below; the outputs are
committed so the tests need no Python.

Writes:
  digits-1797x64.u8         the 1,797 x 64 digits images (uint8, row-major), from ../shared/data
  digits-labels.u8          their 1,797 labels
  ab_params.json            umap.umap_.find_ab_params for several (spread, min_dist)
  smooth_knn.json           smooth_knn_dist and the fuzzy union on the first 300 digits
  quality.json              trustworthiness of umap-learn and t-SNE layouts of the digits
"""
import gzip
import json
import os
import warnings

import numpy as np
import scipy.sparse
from sklearn.manifold import TSNE, trustworthiness
from sklearn.neighbors import NearestNeighbors
import umap
from umap.umap_ import find_ab_params, fuzzy_simplicial_set, smooth_knn_dist

warnings.filterwarnings("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "..", "shared", "data", "digits")
if not os.path.isdir(DATA):
    DATA = os.path.join(HERE, "..", "..", "..", "..", "..", "shared", "data", "digits")


def read_idx(path):
    raw = gzip.open(path).read()
    ndim = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw[4 + 4 * ndim:], np.uint8).reshape(shape)


images = read_idx(os.path.join(DATA, "digits-images-idx3-ubyte.gz")).reshape(-1, 64)
labels = read_idx(os.path.join(DATA, "digits-labels-idx1-ubyte.gz"))
images.tofile(os.path.join(HERE, "digits-1797x64.u8"))
labels.astype(np.uint8).tofile(os.path.join(HERE, "digits-labels.u8"))
X = images.astype(np.float32) / 255.0

# a, b for the default and a few other settings.
ab = []
for spread, min_dist in [(1.0, 0.0), (1.0, 0.1), (1.0, 0.5), (2.0, 0.25), (0.5, 0.05)]:
    a, b = find_ab_params(spread, min_dist)
    ab.append({"spread": spread, "min_dist": min_dist, "a": float(a), "b": float(b)})
json.dump(ab, open(os.path.join(HERE, "ab_params.json"), "w"), indent=1)

# Smoothed distances and the fuzzy union on 300 points, euclidean, k = 10 (self included).
subset = X[:300]
k = 10
nn = NearestNeighbors(n_neighbors=k).fit(subset)
distances, indices = nn.kneighbors(subset)
# sklearn returns self first except for exact duplicates; put self first as umap-learn does.
for i in range(len(subset)):
    if indices[i, 0] != i:
        where = np.where(indices[i] == i)[0]
        j = where[0] if len(where) else k - 1
        indices[i, 1:j + 1] = indices[i, 0:j].copy()
        distances[i, 1:j + 1] = distances[i, 0:j].copy()
        indices[i, 0] = i
        distances[i, 0] = 0.0
distances = distances.astype(np.float32)
sigmas, rhos = smooth_knn_dist(distances, float(k), local_connectivity=1.0)
graph, _, _ = fuzzy_simplicial_set(subset, k, np.random.RandomState(0), "euclidean",
                                   knn_indices=indices, knn_dists=distances)
graph = scipy.sparse.coo_matrix(graph)
json.dump({
    "k": k, "n": len(subset),
    "indices": indices.astype(int).ravel().tolist(),
    "distances": distances.astype(float).ravel().tolist(),
    "sigma": sigmas.astype(float).tolist(),
    "rho": rhos.astype(float).tolist(),
    "graph_rows": graph.row.astype(int).tolist(),
    "graph_cols": graph.col.astype(int).tolist(),
    "graph_weights": graph.data.astype(float).tolist(),
}, open(os.path.join(HERE, "smooth_knn.json"), "w"))

# Layout quality: umap-learn with the project's defaults (SPEC 6) and scikit-learn's t-SNE.
quality = {"umap": [], "tsne": []}
for seed in [0, 1, 2]:
    layout = umap.UMAP(n_neighbors=10, min_dist=0.0, metric="cosine", n_components=3,
                       random_state=seed).fit_transform(X)
    quality["umap"].append(float(trustworthiness(X, layout, n_neighbors=10)))
    layout = TSNE(n_components=2, perplexity=30, random_state=seed).fit_transform(X)
    quality["tsne"].append(float(trustworthiness(X, layout, n_neighbors=10)))
# Recall of umap-learn's own approximate search (pynndescent) on the digits, for scale.
from pynndescent import NNDescent
exact = NearestNeighbors(n_neighbors=10, metric="cosine").fit(X).kneighbors(X)[1]
approx = NNDescent(X, n_neighbors=10, metric="cosine", random_state=0).neighbor_graph[0]
quality["pynndescent_recall"] = float(np.mean([len(set(a[1:]) & set(b[1:])) / 9
                                               for a, b in zip(approx, exact)]))
json.dump(quality, open(os.path.join(HERE, "quality.json"), "w"), indent=1)
print(json.dumps(quality))
