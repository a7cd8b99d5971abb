#!/bin/sh
# Every sweeping rule of `nrcc cluster` on the layouts of `nrcc run` folders (their
# coordinates.npy, clustered again with --reducer none), one JSON line per folder and rule,
# then the mean ACC per kind of data (docs/no-k.md, "The modularity rule").
# Usage (from the package root):
#
#   Benchmarks/nok/rules_on_runs.sh OUTPUT_DIR RUN...
#   NOK_NRCC=/tmp/nrcc-copy Benchmarks/nok/rules_on_runs.sh runs/rules-on-runs runs/def/*/
set -eu
output=$1; shift
. Benchmarks/nok/tools.sh
mkdir -p "$output"
: > "$output/rules.jsonl"
for run in "$@"; do
  run=${run%/}
  name=$(run_name "$run")
  for rule in modularity persistence silhouette; do
    "$nrcc" cluster "$run/coordinates.npy" --reducer none --metric euclidean --select "$rule" \
      --labels "$run/labels.csv" --output "$output/rules/$name-$rule" --quiet --json > "$output/last.json"
    "$python" -c "import json, sys; m = json.load(open(sys.argv[1])); print(json.dumps({'dataset': sys.argv[2], 'method': 'nrcc ' + sys.argv[3], 'true_k': m['classes'], 'found_k': m['clusters'], 'acc': m['acc'], 'nmi': m['nmi'], 'ari': m['ari'], 'seconds': m['seconds']['cluster']}))" \
      "$output/last.json" "$name" "$rule" >> "$output/rules.jsonl"
  done
done
"$python" Benchmarks/nok/summarize_runs.py "$output/rules.jsonl" | tee "$output/table.md"
