"""Anchors for the benchmark of clustering without being told k: the no-k methods practitioners
use, plus k-means given the true k, all run on the same fixed 3-D layouts (UMAP output already
computed), scored against the true labels. Prints one JSON line per (data set, method) to
stdout, progress to stderr.

    python3 Benchmarks/reference/nok_reference.py <layouts dir> <suite dir> [names...]

    e.g. python3 Benchmarks/reference/nok_reference.py runs/nok/layouts runs/nok/suite digits coil20

Reads <layouts dir>/<name>/coordinates.npy (float32, N x 3) and <suite dir>/<name>/labels.npy
(int64, N). Without names, every folder of <layouts dir> that has both files is run.

Methods (seed 0 wherever the method takes one):
- `hdbscan min_cluster_size=5 (default)`, `... =0.5%`, `... =1%`: the hdbscan package with
  min_cluster_size 5 (its default), max(5, round(0.005 N)) and max(5, round(0.01 N)); the other
  parameters are left at their defaults. Noise points (label -1) are scored as one extra cluster
  of their own (so they count against ACC unless that cluster is matched to a class); found_k
  counts the clusters without that noise cluster, and noise_share is the share of noise points.
- `gudhi ToMATo largest gap`: gudhi.clustering.Tomato with graph_type 'knn', density_type
  'logDTM' and k = 10 neighbours (its default, written out); the number of clusters is then
  chosen at the largest gap of its persistence diagram: the finite prominences (birth - death
  over `diagram_`) sorted in decreasing order are cut after the largest gap between
  consecutive values, and the clusters are the infinite-persistence components (one per
  connected component of the graph) plus the prominences before the cut. With fewer than two
  finite prominences there is no gap, and only the infinite ones are kept.
- `pytomato automatic`: pytomato's ToMATo (import name `tomato`) with all its defaults: 25
  neighbours, DTM vertex function, and its automatic cut ("profile_likelihood": a two-regime
  split of the log-ratio persistences, accepted if its gap p-value is <= 0.2, else the largest
  raw persistence jump). Skipped with a note on stderr if pytomato is not installed.
- `leiden resolution=1.0`, `leiden resolution=0.5`: Leiden (leidenalg on igraph),
  RBConfigurationVertexPartition, on the symmetrised, unweighted 15-nearest-neighbour graph of
  the layout (Euclidean, scikit-learn NearestNeighbors, each point not its own neighbour).
- `kmeans true k`: scikit-learn KMeans with the true k, 10 restarts.

Each line: dataset, method, true_k, found_k, acc, nmi, ari, seconds (plus noise_share for
hdbscan). ACC is the best one-to-one matching of clusters to classes (Hungarian algorithm on
the contingency table) divided by N, so clusters left unmatched count as errors; NMI is
scikit-learn's normalized_mutual_info_score (arithmetic mean), ARI its adjusted_rand_score.
seconds times the clustering alone (for Leiden, the k-NN graph and Leiden; for ToMATo the
whole fit and the cut), not loading or scoring; every method first runs once, untimed, on small
synthetic blobs so that JIT compilation and other first-call costs are not timed.

Requirements: Benchmarks/reference/requirements.txt (hdbscan, gudhi, leidenalg, igraph,
pytomato, scikit-learn).
"""
import functools
import json
import os
import sys
import time

import hdbscan
import igraph
import leidenalg
import numpy as np
from gudhi.clustering.tomato import Tomato
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.metrics.cluster import contingency_matrix
from sklearn.neighbors import NearestNeighbors

SEED = 0


def dataset_names(layouts, suite, requested):
    """The requested names, or every layout folder with coordinates.npy and a labels.npy."""
    if requested:
        return requested
    return [name for name in sorted(os.listdir(layouts))
            if os.path.exists(os.path.join(layouts, name, "coordinates.npy"))
            and os.path.exists(os.path.join(suite, name, "labels.npy"))]


def load(layouts, suite, name):
    points = np.load(os.path.join(layouts, name, "coordinates.npy")).astype(np.float64)
    labels = np.load(os.path.join(suite, name, "labels.npy"))
    if len(points) != len(labels):
        raise ValueError(f"{name}: {len(points)} points but {len(labels)} labels")
    return points, labels


def accuracy(truth, predicted):
    """Best one-to-one match of clusters to classes, over N; unmatched clusters are errors."""
    table = contingency_matrix(truth, predicted)
    rows, columns = linear_sum_assignment(table, maximize=True)
    return table[rows, columns].sum() / len(truth)


def scores(truth, predicted):
    return {"acc": float(accuracy(truth, predicted)),
            "nmi": float(normalized_mutual_info_score(truth, predicted)),
            "ari": float(adjusted_rand_score(truth, predicted))}


def run_hdbscan(points, min_cluster_size):
    return hdbscan.HDBSCAN(min_cluster_size=min_cluster_size).fit_predict(points)


def largest_gap_count(diagram):
    """How many finite prominences come before the largest gap between consecutive ones."""
    prominences = np.sort(diagram[:, 0] - diagram[:, 1])[::-1]
    if len(prominences) < 2:
        return 0
    return int(np.argmax(prominences[:-1] - prominences[1:])) + 1


def run_gudhi_tomato(points):
    model = Tomato(graph_type="knn", density_type="logDTM", k=10).fit(points)
    model.n_clusters_ = len(model.max_weight_per_cc_) + largest_gap_count(model.diagram_)
    return model.labels_


def run_pytomato(points, estimator):
    return estimator(random_state=SEED).fit(points).labels_


def knn_graph(points, neighbours=15):
    """The symmetrised, unweighted k-NN graph as an igraph Graph."""
    adjacency = NearestNeighbors(n_neighbors=neighbours).fit(points).kneighbors_graph(mode="connectivity")
    edges = np.column_stack(sparse.triu(adjacency.maximum(adjacency.T), k=1).nonzero())
    return igraph.Graph(n=len(points), edges=edges.tolist())


def run_leiden(points, resolution):
    partition = leidenalg.find_partition(knn_graph(points), leidenalg.RBConfigurationVertexPartition,
                                         resolution_parameter=resolution, seed=SEED)
    return np.asarray(partition.membership)


def run_kmeans(points, k):
    return KMeans(n_clusters=k, n_init=10, random_state=SEED).fit_predict(points)


def load_pytomato():
    """pytomato's ToMATo class, or None (with a note) when the package is missing."""
    try:
        from tomato import ToMATo
    except ImportError:
        print("nok_reference: pytomato is not installed, skipping `pytomato automatic`; "
              "install it with `pip install pytomato==0.6.3`", file=sys.stderr)
        return None
    return ToMATo


def methods(count, true_k, pytomato):
    """(name, clustering function of the points, whether it marks noise) for one data set."""
    listed = [("hdbscan min_cluster_size=5 (default)", functools.partial(run_hdbscan, min_cluster_size=5), True)]
    for share, label in ((0.005, "0.5%"), (0.01, "1%")):
        size = max(5, round(share * count))
        listed.append((f"hdbscan min_cluster_size={label}", functools.partial(run_hdbscan, min_cluster_size=size), True))
    listed.append(("gudhi ToMATo largest gap", run_gudhi_tomato, False))
    if pytomato is not None:
        listed.append(("pytomato automatic", functools.partial(run_pytomato, estimator=pytomato), False))
    for resolution in (1.0, 0.5):
        listed.append((f"leiden resolution={resolution}", functools.partial(run_leiden, resolution=resolution), False))
    listed.append(("kmeans true k", functools.partial(run_kmeans, k=true_k), False))
    return listed


def warm_up(pytomato):
    """Runs every method once on small blobs, untimed, so that JIT compilation (pytomato uses
    numba) and other first-call costs are not counted against the first data set."""
    rng = np.random.default_rng(SEED)
    centres = rng.uniform(-5, 5, size=(4, 3))
    points = np.concatenate([rng.normal(centre, 0.3, size=(150, 3)) for centre in centres])
    for _, cluster, _ in methods(len(points), len(centres), pytomato):
        cluster(points)


def evaluate(name, method, cluster, marks_noise, points, labels, true_k):
    start = time.perf_counter()
    predicted = np.asarray(cluster(points))
    seconds = time.perf_counter() - start
    result = {"dataset": name, "method": method, "true_k": true_k,
              "found_k": int(len(np.unique(predicted[predicted >= 0]))),
              **scores(labels, predicted), "seconds": round(seconds, 4)}
    if marks_noise:
        result["noise_share"] = float(np.mean(predicted == -1))
    return result


def main(layouts, suite, requested):
    pytomato = load_pytomato()
    warm_up(pytomato)
    for name in dataset_names(layouts, suite, requested):
        points, labels = load(layouts, suite, name)
        true_k = int(len(np.unique(labels)))
        print(f"nok_reference: {name}, {len(points)} points, {true_k} classes", file=sys.stderr, flush=True)
        for method, cluster, marks_noise in methods(len(points), true_k, pytomato):
            result = evaluate(name, method, cluster, marks_noise, points, labels, true_k)
            print(f"nok_reference:   {method}: {result['found_k']} clusters, {result['seconds']:.2f} s",
                  file=sys.stderr, flush=True)
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    layouts, suite = (sys.argv[1], sys.argv[2]) if len(sys.argv) >= 3 else ("runs/nok/layouts", "runs/nok/suite")
    if not os.path.isdir(layouts):
        # `make bench` runs every reference script; this one needs Benchmarks/nok.sh's layouts.
        print(f"nok_reference: no layouts in {layouts}; Benchmarks/nok.sh makes them and runs this script",
              file=sys.stderr)
        sys.exit(0)
    main(layouts, suite, sys.argv[3:])
