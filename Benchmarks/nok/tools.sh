# Sourced by the no-k benchmarks (from the package root): the nrcc binary they run
# (NOK_NRCC: another binary, e.g. a copy that a rebuild cannot change mid-run), the Python
# with the reference tools when .venv-bench has one, and run_name, a run folder's path as one
# file name.
nrcc=${NOK_NRCC:-.build/release/nrcc}
python=python3
[ -x .venv-bench/bin/python ] && python=.venv-bench/bin/python
run_name() { echo "${1%/}" | sed 's|^runs/||; s|^/tmp/||; s|/|_|g'; }
