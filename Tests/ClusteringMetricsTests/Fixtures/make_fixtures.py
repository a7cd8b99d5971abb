"""Writes metrics.json: scikit-learn 1.9.1 / scipy reference scores for ClusteringMetricsTests.

Run from anywhere: python3 make_fixtures.py (seed inside; the output is deterministic).
"""
import json
import os

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn import metrics

rng = np.random.default_rng(20241129)


def accuracy(truth, predicted):
    """ACC with a rectangular Hungarian match; unmatched clusters count as errors."""
    table = metrics.cluster.contingency_matrix(truth, predicted)
    rows, columns = linear_sum_assignment(-table)
    return float(table[rows, columns].sum()) / len(truth)


def pair(name, truth, predicted):
    truth = [int(x) for x in truth]
    predicted = [int(x) for x in predicted]
    return {
        "name": name,
        "truth": truth,
        "predicted": predicted,
        "acc": accuracy(truth, predicted),
        "nmi": float(metrics.normalized_mutual_info_score(truth, predicted)),
        "ari": float(metrics.adjusted_rand_score(truth, predicted)),
        "ami": float(metrics.adjusted_mutual_info_score(truth, predicted)),
        "mi": float(metrics.mutual_info_score(truth, predicted)),
        "contingency": metrics.cluster.contingency_matrix(truth, predicted).tolist(),
    }


pairs = []
for index, (n, k_true, k_found) in enumerate(
        [(50, 3, 3), (200, 10, 10), (300, 5, 8), (300, 8, 5), (1000, 10, 14), (120, 4, 2), (500, 20, 7)]):
    truth = rng.integers(0, k_true, n)
    # A noisy copy of the truth, so the scores are neither 0 nor 1.
    predicted = np.where(rng.random(n) < 0.6, truth % k_found, rng.integers(0, k_found, n))
    pairs.append(pair(f"random n={n} k_true={k_true} k_found={k_found}", truth, predicted))
truth = rng.integers(0, 4, 80)
pairs.append(pair("independent n=80", truth, rng.integers(0, 4, 80)))
pairs.append(pair("arbitrary label values", rng.choice([-7, 3, 100], 60), rng.choice([5, -1, 42, 9], 60)))
pairs.append(pair("k_found=1", rng.integers(0, 3, 40), [0] * 40))
pairs.append(pair("k_true=1", [2] * 40, rng.integers(0, 3, 40)))
pairs.append(pair("both k=1", [1] * 10, [5] * 10))
pairs.append(pair("each sample its own cluster", rng.integers(0, 3, 30), list(range(30))))
pairs.append(pair("two samples", [0, 1], [0, 0]))

# Weighted kNN accuracy (InstDisc vote, k = 20, t = 0.07), leave-one-out and train/test,
# computed here with numpy as the protocol is written in NearestNeighborAccuracy.swift.
def knn_accuracy(queries, query_labels, references, reference_labels, k, t, leave_one_out):
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    r = references / np.linalg.norm(references, axis=1, keepdims=True)
    similarity = (q.astype(np.float64) @ r.T.astype(np.float64))
    if leave_one_out:
        np.fill_diagonal(similarity, -np.inf)
    classes = np.unique(reference_labels)
    correct = 0
    for row in range(len(q)):
        nearest = np.argsort(-similarity[row], kind="stable")[:k]
        votes = np.zeros(len(classes))
        for index in nearest:
            votes[np.searchsorted(classes, reference_labels[index])] += np.exp(similarity[row, index] / t)
        correct += int(classes[np.argmax(votes)] == query_labels[row])
    return correct / len(q)


dimension = 8
centres = rng.normal(size=(4, dimension))
knn_labels = rng.integers(0, 4, 240)
features = (centres[knn_labels] + 1.2 * rng.normal(size=(240, dimension))).astype(np.float32)
train, test = features[:160], features[160:]
knn = {
    "dimension": dimension,
    "features": [float(x) for x in features.ravel()],
    "labels": [int(x) for x in knn_labels],
    "train_count": 160,
    "leave_one_out_k20": knn_accuracy(features, knn_labels, features, knn_labels, 20, 0.07, True),
    "leave_one_out_k5": knn_accuracy(features, knn_labels, features, knn_labels, 5, 0.07, True),
    "train_test_k20": knn_accuracy(test, knn_labels[160:], train, knn_labels[:160], 20, 0.07, False),
}

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metrics.json")
with open(path, "w") as file:
    json.dump({"pairs": pairs, "knn": knn}, file)
print(f"wrote {path}: {len(pairs)} label pairs, kNN accuracies "
      f"{knn['leave_one_out_k20']:.4f} {knn['leave_one_out_k5']:.4f} {knn['train_test_k20']:.4f}")
