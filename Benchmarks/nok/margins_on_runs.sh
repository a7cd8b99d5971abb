#!/bin/sh
# The modularity rule's margin for near-ties (`--modularity-tolerance`) on learned embeddings:
# each `nrcc run` folder's embeddings.npy laid out with each layout seed, then clustered with
# each margin; one JSON line per folder, seed and margin, then the mean ACC per margin and the
# layouts each margin gains or loses against the first (docs/no-k.md, "A margin for near-ties").
# Usage (from the package root):
#
#   Benchmarks/nok/margins_on_runs.sh OUTPUT_DIR RUN...
#   NOK_MARGINS="0 0.01 0.02" NOK_SEEDS="0 1 2" Benchmarks/nok/margins_on_runs.sh runs/margins runs/def/*/
set -eu
output=$1; shift
. Benchmarks/nok/tools.sh
mkdir -p "$output"
: > "$output/margins.jsonl"
for run in "$@"; do
  run=${run%/}
  name=$(run_name "$run")
  for seed in ${NOK_SEEDS:-0 1 2}; do
    layout="$output/layouts/$name-$seed"
    [ -f "$layout/coordinates.npy" ] || "$nrcc" cluster "$run/embeddings.npy" --labels "$run/labels.csv" \
      --metric cosine --seed "$seed" --output "$layout" --quiet --json > /dev/null
    for margin in ${NOK_MARGINS:-0 0.005 0.01 0.02}; do
      "$nrcc" cluster "$layout/coordinates.npy" --reducer none --metric euclidean --seed "$seed" \
        --modularity-tolerance "$margin" --labels "$run/labels.csv" --output "$output/last" --quiet --json > "$output/last.json"
      "$python" -c "import json, sys; m = json.load(open(sys.argv[1])); print(json.dumps({'run': sys.argv[2], 'seed': int(sys.argv[3]), 'margin': sys.argv[4], 'found_k': m['clusters'], 'acc': m['acc'], 'nmi': m['nmi']}))" \
        "$output/last.json" "$name" "$seed" "$margin" >> "$output/margins.jsonl"
    done
  done
done
"$python" - "$output/margins.jsonl" <<'PY' | tee "$output/table.md"
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
margins = list(dict.fromkeys(r['margin'] for r in rows))
first = {(r['run'], r['seed']): r for r in rows if r['margin'] == margins[0]}
print('| margin | layouts | mean ACC | mean NMI | gain | lose |')
print('|---|---|---|---|---|---|')
for margin in margins:
    chosen = [r for r in rows if r['margin'] == margin]
    delta = [r['acc'] - first[(r['run'], r['seed'])]['acc'] for r in chosen]
    print(f"| {margin} | {len(chosen)} | {sum(r['acc'] for r in chosen) / len(chosen):.3f} | "
          f"{sum(r['nmi'] for r in chosen) / len(chosen):.3f} | {sum(d > 1e-9 for d in delta)} | {sum(d < -1e-9 for d in delta)} |")
PY
