# The README's two commands are `make run` and `make test`; both set everything up first,
# idempotently (stamp files record what is installed, so a second run installs nothing).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
SERVER_VENV := .venv-argilla
PROJECT ?= examples/noticias-falsas/bucle.yaml
APT_GET := $(shell [ "$$(id -u)" = 0 ] && echo apt-get || echo sudo apt-get)
PYTEST_ARGS ?=
BENCH_SERVER ?=
SHARED_SERVER := $(if $(BENCH_SERVER),--server $(BENCH_SERVER))
BENCH_TRAINED ?=
TRAINED := $(if $(BENCH_TRAINED),--trained $(BENCH_TRAINED))

.PHONY: setup run test test-fast lint bench bench-label-efficiency bench-label-efficiency-alternatives bench-smoke stop clean
.DEFAULT_GOAL := run

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

$(SERVER_VENV)/.installed: requirements-server.txt
	$(PYTHON) -m venv $(SERVER_VENV)
	$(SERVER_VENV)/bin/pip install --quiet --upgrade pip
	$(SERVER_VENV)/bin/pip install --quiet -r requirements-server.txt
	touch $@

/usr/bin/chromium:
	$(APT_GET) update -qq
	$(APT_GET) install -y -qq chromium

# Debian's docker-compose validates docker-compose.yml in the tests (no Docker engine is needed)
/usr/bin/docker-compose:
	$(APT_GET) update -qq
	$(APT_GET) install -y -qq --no-install-recommends docker-compose

# the two venvs install side by side (pip is single-threaded): 94 → 72 s on 2 cores
setup:
	@$(MAKE) --no-print-directory -j2 $(VENV)/.installed $(SERVER_VENV)/.installed

run: setup
	$(VENV)/bin/bucle --project $(PROJECT) up

stop: setup
	$(VENV)/bin/bucle --project $(PROJECT) server stop

# ruff format is the project's formatter: lint fails on a file it would change (`ruff format` fixes it)
LINTED := common annotation loop training demo publishing bench tests
lint: setup
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)

# two workers (tests/conftest.py says which tests share one, and gives each its share of the cores'
# threads): pytest about 11 minutes on 2 cores
test: setup lint /usr/bin/chromium /usr/bin/docker-compose
	$(VENV)/bin/python -m pytest -n 2 $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: that is a failure" >&2; exit 1; fi; \
	exit $$status

# The fast lane while developing: unit tests only (no server, no browser), under 2 minutes.
test-fast: setup lint /usr/bin/docker-compose
	$(VENV)/bin/python -m pytest tests/unit $(PYTEST_ARGS)

# Full runs write their published tables and figures to docs/benchmarks/ (≈ 2 h on 2 cores);
# the smoke run (what CI runs, through tests/integration/test_bench_smoke.py) to test-artifacts/.
bench: setup
	$(VENV)/bin/python bench/argilla_server.py
	$(VENV)/bin/python bench/ingest.py
	$(VENV)/bin/python bench/demo.py
	$(VENV)/bin/python bench/round_cost.py
	$(VENV)/bin/python bench/annotator_queue.py
	$(VENV)/bin/python bench/active_learning.py
	$(VENV)/bin/python bench/label_errors.py
	$(VENV)/bin/python bench/tfidf_fit.py
	$(VENV)/bin/python bench/head_fit.py
	$(VENV)/bin/python bench/bodies.py

# The hedged default against random sampling, and random sampling on other draws (random@redraw:
# the shortfall chance alone gives at these seeds), in the README's five kinds of setting, each with
# the loop's two batch sizes: every other test text steers typicality, the other half scores every
# curve. bench/label_efficiency.py runs them two at a time, each with one BLAS thread (two threads
# per run were slower: the same curves in 0.43 of the time with e5, 0.64 with TF-IDF), the longest
# first: TF-IDF on the default's worst settings (24 seeds on two classes with batches of 16, 32 on
# drift, 16 on drift with batches of 16), the SetFit head on e5 at 128 seeds everywhere, TF-IDF at
# 8 seeds on label and sport and 3 on the rest. About 1½ hours on 2 cores
# (measured into empty folders: the e5 runs 25 min, the TF-IDF runs 61).
# `make bench-label-efficiency-alternatives` runs, into the same folders, the alternatives the README
# weighs the default against (hedged@pool: typicality among the candidates, the loop before;
# hedged-shift: the typicality ratio among word vectors too), each against random on its seeds
# (random's runs are kept from the main target); the runs into one folder joined by a comma.
# --resume goes on where a stopped run left off, and keeps the seeds a folder already has.
# Results: docs/benchmarks/active-learning/target/<setting>[-e5][-b16].
LABEL_EFFICIENCY_E5 := $(foreach setting,label topic sport imbalanced drift,$(setting)-e5:%N $(setting)-e5-b16:%N)
LABEL_EFFICIENCY_RUNS := label-b16:24 drift:32 drift-b16:16 $(subst %N,128,$(LABEL_EFFICIENCY_E5)) \
	label:8 sport:8 topic-b16:3 imbalanced-b16:3 topic:3 imbalanced:3 sport-b16:3
LABEL_EFFICIENCY_ALTERNATIVES := drift:32:random+hedged@pool,drift:16:random+hedged-shift label:8:random+hedged-shift \
	$(subst %N,32:random+hedged@pool,$(LABEL_EFFICIENCY_E5))

bench-label-efficiency: setup
	$(VENV)/bin/python bench/label_efficiency.py $(LABEL_EFFICIENCY_RUNS)

bench-label-efficiency-alternatives: setup
	$(VENV)/bin/python bench/label_efficiency.py $(LABEL_EFFICIENCY_ALTERNATIVES)

# BENCH_SERVER=path/to/bucle.yaml: a project whose embedded server is running (the test session's,
# in CI) serves the benchmarks that need Argilla, instead of one server each; BENCH_TRAINED=path/to/
# bucle.yaml: a trained project (the session's demo project, in CI) that the demo and publishing
# benchmarks copy instead of training the example each.
bench-smoke: setup
	$(VENV)/bin/python bench/smoke.py $(SHARED_SERVER) $(TRAINED)

clean:
	rm -rf $(VENV) $(SERVER_VENV)
