#!/bin/sh
# Clustering quality of the learned embeddings at an equal, stated training time:
# BYOL + NRCC, BYOL, InfoNCE + NRCC, InfoNCE and raw pixels, each through UMAP to 3-D then
# k-means (k given) and through `nrcc cluster` (UMAP + GridShift, no k). Usage (from the
# package root):
#
#   Benchmarks/quality.sh [minutes per run] [datasets, comma-separated] [output dir]
#   Benchmarks/quality.sh 5 digits            # the default
#   Benchmarks/quality.sh 60 fashion-mnist
#
# Training: nrcc-bench in quality mode (CPU default configuration sized for the stated
# minutes, seed 1), one JSON line per run with its training time and monitors. Scoring:
# Benchmarks/quality_eval.py (umap-learn and scikit-learn for k-means, nrcc for GridShift),
# one JSON line per features.
set -eu
minutes=${1:-5}
datasets=${2:-digits}
output=${3:-runs/quality}
swift build -c release --product nrcc-bench
swift build -c release --product nrcc
NRCC_QUALITY_OUTPUT="$output" NRCC_QUALITY_MINUTES="$minutes" NRCC_QUALITY_DATASETS="$datasets" \
  .build/release/nrcc-bench contrastive
python3 Benchmarks/quality_eval.py "$output"
