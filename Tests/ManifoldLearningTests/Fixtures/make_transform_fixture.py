"""umap-learn's `transform` on the digits, the reference for UMAPTransformTests.

Run from this folder: `python3 make_transform_fixture.py` (umap-learn 0.5.12, scikit-learn
1.9.1). Reads the committed digits-1797x64.u8 / digits-labels.u8, fits umap-learn with the
project's settings (10 neighbours, min_dist 0, 3-D, Euclidean) on the first 1,500 digits for
seeds 0-2, places the last 297 with `transform`, and writes umap_transform.json:

  trustworthiness   of the placed points' layout against their pixels (10 neighbours)
  label_agreement   share of placed points whose nearest fitted point in the layout has the
                    label of their nearest fitted point in pixel space
"""
import json
import os
import warnings

import numpy as np
import umap
from sklearn.manifold import trustworthiness
from sklearn.neighbors import NearestNeighbors

warnings.filterwarnings("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
X = np.fromfile(os.path.join(HERE, "digits-1797x64.u8"), dtype=np.uint8).reshape(-1, 64).astype(np.float32) / 255
y = np.fromfile(os.path.join(HERE, "digits-labels.u8"), dtype=np.uint8).astype(int)
fitted, placed = X[:1500], X[1500:]
result = {"trustworthiness": [], "label_agreement": []}
for seed in [0, 1, 2]:
    model = umap.UMAP(n_neighbors=10, min_dist=0.0, n_components=3, metric="euclidean", random_state=seed).fit(fitted)
    layout = model.transform(placed)
    result["trustworthiness"].append(float(trustworthiness(placed, layout, n_neighbors=10)))
    in_layout = NearestNeighbors(n_neighbors=1).fit(model.embedding_).kneighbors(layout)[1][:, 0]
    in_pixels = NearestNeighbors(n_neighbors=1).fit(fitted).kneighbors(placed)[1][:, 0]
    result["label_agreement"].append(float(np.mean(y[:1500][in_layout] == y[:1500][in_pixels])))
json.dump(result, open(os.path.join(HERE, "umap_transform.json"), "w"), indent=1)
print(json.dumps(result))
