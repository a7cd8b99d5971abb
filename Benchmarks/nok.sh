#!/bin/sh
# Clustering without k, scored on a fixed suite: every bandwidth rule of `nrcc cluster`
# (--select modularity|persistence|silhouette|plateau|percentile) beside the no-k methods practitioners use
# (HDBSCAN, ToMATo, Leiden) and k-means given the true k, all on the same 3-D layouts.
# Usage (from the package root):
#
#   Benchmarks/nok.sh [output dir, default runs/nok]
#   NOK_SEED=1 Benchmarks/nok.sh runs/nok-seed1     # another layout (and sample) seed
#   NOK_LAYOUT_OPTIONS="--umap-parts 1" Benchmarks/nok.sh runs/nok-sequential   # other layouts
#   NOK_SUITE=few-per-class Benchmarks/nok.sh runs/nok-few   # a few images of every class
#
# 1. Benchmarks/nok/make_suite.py writes the data sets (real images, class subsets,
#    long-tailed sets, synthetic blobs and moons); any `<run>/embeddings.npy` of an
#    `nrcc run` named in NOK_LEARNED ("name=run-folder,...") joins them as a learned set.
# 2. `nrcc cluster` lays each one out with UMAP (its defaults; Euclidean for the synthetic
#    sets) once: the layout's time is reported, the rules below share it.
# 3. Each rule clusters the layout (`--reducer none`), one JSON line per set and rule.
# 4. Benchmarks/reference/nok_reference.py runs the peers on the same layouts.
# 5. Benchmarks/nok/summarize.py prints one table: found k against true k, ACC, NMI, ARI,
#    seconds, and the means over the suite.
set -eu
output=${1:-runs/nok}
# NOK_NRCC names another nrcc binary (e.g. a copy, so that a rebuild cannot change it mid-run);
# the peers run in `make bench`'s virtual environment when it exists (Benchmarks/nok/tools.sh).
. Benchmarks/nok/tools.sh
seed=${NOK_SEED:-0}
[ -n "${NOK_NRCC:-}" ] || swift build -c release --product nrcc
"$python" Benchmarks/nok/make_suite.py "$output/suite" ../shared/data "${NOK_SUITE:-standard}"
for pair in $(echo "${NOK_LEARNED:-}" | tr ',' ' '); do
  name=${pair%%=*}; run=${pair#*=}
  mkdir -p "$output/suite/$name"
  cp "$run/embeddings.npy" "$output/suite/$name/features.npy"
  "$python" -c "import numpy as np, sys; l = np.loadtxt(sys.argv[1], delimiter=',', skiprows=1, dtype=int)[:, 2]; np.save(sys.argv[2], l)" \
    "$run/labels.csv" "$output/suite/$name/labels.npy"
  echo cosine > "$output/suite/$name/metric"
done
: > "$output/rules.jsonl"
for folder in "$output"/suite/*/; do
  name=$(basename "$folder")
  layout="$output/layouts/$name"
  start=$(date +%s.%N)
  "$nrcc" cluster "$folder/features.npy" --labels "$folder/labels.npy" --metric "$(cat "$folder/metric")" \
    --seed "$seed" ${NOK_LAYOUT_OPTIONS:-} --output "$layout" --quiet --json > /dev/null
  layout_seconds=$(echo "$(date +%s.%N) - $start" | bc)
  for rule in modularity persistence silhouette plateau percentile; do
    start=$(date +%s.%N)
    "$nrcc" cluster "$layout/coordinates.npy" --reducer none --metric euclidean --select "$rule" --seed "$seed" \
      --labels "$folder/labels.npy" --output "$output/rules/$name-$rule" --quiet --json > "$output/last.json"
    seconds=$(echo "$(date +%s.%N) - $start" | bc)
    "$python" -c "import json, sys; m = json.load(open(sys.argv[1])); print(json.dumps({'dataset': sys.argv[2], 'method': 'nrcc ' + sys.argv[3], 'true_k': m['classes'], 'found_k': m['clusters'], 'acc': m['acc'], 'nmi': m['nmi'], 'ari': m['ari'], 'seconds': m['seconds'].get('cluster', float(sys.argv[4])), 'layout_seconds': float(sys.argv[5])}))" \
      "$output/last.json" "$name" "$rule" "$seconds" "$layout_seconds" >> "$output/rules.jsonl"
  done
  echo "$name: laid out in $layout_seconds s" >&2
done
"$python" Benchmarks/reference/nok_reference.py "$output/layouts" "$output/suite" > "$output/reference.jsonl"
"$python" Benchmarks/nok/summarize.py "$output/rules.jsonl" "$output/reference.jsonl" | tee "$output/table.md"
