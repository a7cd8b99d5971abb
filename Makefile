# nrcc: `make demo` runs the pipeline on the embedded digits; `make test` runs the tests.
# Both install the Debian packages they need (as root, or through sudo) and build first.
# `make mpi` builds nrcc for Open MPI (data-parallel training) in a build folder of its own.

SWIFT        ?= swift
CONFIG       ?= release
BUILD_FLAGS  := -c $(CONFIG)
BIN          := .build/$(CONFIG)
APT_PACKAGES := libopenblas-dev zlib1g-dev libpng-dev libjpeg-dev pkg-config
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# nrcc with the MPI trait: its own scratch folder, so that the two builds do not undo each other.
MPI_BUILD    := .build-mpi
MPI_BIN      := $(MPI_BUILD)/$(CONFIG)
MPI_PACKAGES := libopenmpi-dev openmpi-bin
# mpirun refuses root unless told (containers, CI); 2 ranks on fewer cores need --oversubscribe.
MPIRUN       := mpirun $(shell [ "$$(id -u)" = 0 ] && echo --allow-run-as-root) --oversubscribe

.PHONY: all setup build test demo bench bench-reference fashion-mnist chromium mpi mpi-setup mpi-demo clean

all: build

## Installs the missing Debian packages (nothing when all are present).
setup:
	@missing=""; for package in $(APT_PACKAGES); do \
	  dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; fi

## Fashion-MNIST from Debian (used by tests and benchmarks; never committed).
fashion-mnist:
	@dpkg -s dataset-fashion-mnist >/dev/null 2>&1 || \
	  ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq dataset-fashion-mnist)

build: setup
	$(SWIFT) build $(BUILD_FLAGS)

## Headless Chromium renders the report in a test (skipped where it is missing).
chromium:
	@command -v chromium >/dev/null 2>&1 || \
	  ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium)

## Open MPI from Debian, for `make mpi` and the MPI tests.
mpi-setup:
	@missing=""; for package in $(MPI_PACKAGES); do \
	  dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; fi

## nrcc for Open MPI: mpirun -np N .build-mpi/release/nrcc train ... (docs/distributed.md).
mpi: setup mpi-setup
	$(SWIFT) build $(BUILD_FLAGS) --traits MPI --scratch-path $(MPI_BUILD) --product nrcc

## The digits trained by two processes (BYOL, synchronised batch norm), then clustered by rank 0.
mpi-demo: mpi
	$(MPIRUN) -np 2 $(MPI_BIN)/nrcc run --dataset digits --paradigm byol --sync-batch-norm --epochs 40 \
	  --flip 0 --output runs/demo-mpi

## The MPI tests (Tests/NRCCCommandTests/MPITests.swift) run mpirun on $(MPI_BIN)/nrcc.
test: setup fashion-mnist chromium mpi
	$(SWIFT) build $(BUILD_FLAGS) --build-tests
	NRCC_MPI_BINARY=$(CURDIR)/$(MPI_BIN)/nrcc $(SWIFT) test $(BUILD_FLAGS) --skip-build

## The pipeline on the embedded digits with every default (InfoNCE for the 3-minute budget,
## then UMAP + GridShift without k), and beside it the raw-pixel baseline: UMAP + GridShift
## on the pixels.
demo: build
	$(BIN)/nrcc run --dataset digits --output runs/demo

## Throughput figures as JSON lines: ours, then the Python references on the same inputs.
bench: build fashion-mnist
	$(BIN)/nrcc-bench
	$(MAKE) --no-print-directory bench-reference

## The Python peers live in a virtual environment of their own (.venv-bench, ignored by git):
## Debian's system Python refuses pip installs (PEP 668).
VENV := .venv-bench

bench-reference: $(VENV)/bin/python
	@for script in Benchmarks/reference/*.py; do $(VENV)/bin/python $$script; done

$(VENV)/bin/python: Benchmarks/reference/requirements.txt
	python3 -m venv $(VENV) || ($(SUDO) apt-get install -y -qq python3-venv && python3 -m venv $(VENV))
	$(VENV)/bin/pip install -q -r Benchmarks/reference/requirements.txt
	@touch $@

clean:
	rm -rf .build $(MPI_BUILD) runs
