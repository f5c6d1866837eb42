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

# two workers (tests/conftest.py says which tests share one): pytest about 15 minutes on 2 cores, where one took 17
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
	$(VENV)/bin/python bench/bodies.py

# The hedged default against random sampling, and random sampling on other draws (random@redraw:
# the shortfall chance alone gives at these seeds), in the README's five kinds of setting, each with
# the loop's two batch sizes: every other test text steers typicality, the other half scores every
# curve. The SetFit head on the default body (e5, 128 seeds: a run takes a second or two once the
# corpus is embedded; one lane, as e5 keeps both cores busy: two lanes side by side took 113 s for
# what one after the other did in 91), then TF-IDF in two lanes side by side (a TF-IDF run keeps one
# core busy): 32 seeds on drift, where the pool cannot see the test set's shift, 24 on two classes
# and 16 on drift with batches of 16 (the default's two worst settings at 8 seeds), 8 on label and
# sport, 3 on the rest. Side by side a two-class run takes about 30 s with batches of 32 and 55 s
# with 16, a nine-class one about 60 s and 90 s (the TF-IDF refit: bench/tfidf_fit.py); the
# full-data fit once per setting. About 3¾ hours on 2 cores: e5 about 1⅔, the TF-IDF lanes about 2.
# `make bench-label-efficiency-alternatives` runs, into the same folders, the alternatives the README
# weighs the default against (hedged@pool: typicality among the candidates, the loop before;
# hedged-shift: the typicality ratio among word vectors too), each against random on its seeds:
# about half an hour after the main target (its random runs are kept), an hour alone.
# --resume goes on where a stopped run left off, and keeps the seeds a folder already has.
# Results: docs/benchmarks/active-learning/target/<setting>[-e5][-b16].
LABEL_EFFICIENCY_SETTINGS := label:--label,label topic:--label,topic sport:--label,topic,--one-vs-rest,Sport \
	imbalanced:--label,topic,--keep,Sport=0.3,Science=0.3,Society=0.3,Entertainment=0.3 drift:--label,label,--drift,topic=Politics
LABEL_EFFICIENCY := --small-text none --resume
LABEL_EFFICIENCY_STRATEGIES := random hedged random@redraw
LABEL_EFFICIENCY_OUT := docs/benchmarks/active-learning/target
# TF-IDF lanes, run side by side: setting[-b16]:seeds[:strategies joined by +, instead of LABEL_EFFICIENCY_STRATEGIES]
LABEL_EFFICIENCY_TFIDF := drift:32,drift-b16:16,sport-b16:3,topic:3,imbalanced-b16:3 \
	label-b16:24,label:8,sport:8,imbalanced:3,topic-b16:3
LABEL_EFFICIENCY_TFIDF_ALTERNATIVES := drift:32:random+hedged@pool label:8:random+hedged-shift,drift:16:random+hedged-shift

# $(call e5_runs,--seeds N --strategies …): the SetFit head on e5, every setting, both batch sizes
define e5_runs
	for batch in 32 16; do for setting in $(LABEL_EFFICIENCY_SETTINGS); do \
		name=$${setting%%:*}-e5; [ $$batch = 32 ] || name=$$name-b$$batch; \
		$(VENV)/bin/python bench/active_learning.py $$(echo $${setting#*:} | tr ',' ' ') --batch $$batch \
			--learners setfit-head --max-seq-length 256 $(LABEL_EFFICIENCY) $(1) --out $(LABEL_EFFICIENCY_OUT)/$$name || exit 1; \
	done; done
endef

# $(call tfidf_lanes,LANES): TF-IDF runs, each lane's one after another, the lanes side by side
define tfidf_lanes
	pids=; for lane in $(1); do \
		for run in $$(echo $$lane | tr ',' ' '); do name=$${run%%:*}; rest=$${run#*:}; \
			base=$${name%-b16}; batch=32; [ $$base = $$name ] || batch=16; \
			setting=$$(echo "$(LABEL_EFFICIENCY_SETTINGS)" | tr ' ' '\n' | grep "^$$base:"); \
			strategies=$$(echo $$rest | cut -s -d: -f2 | tr '+' ' '); \
			$(VENV)/bin/python bench/active_learning.py $$(echo $${setting#*:} | tr ',' ' ') --batch $$batch --learners tfidf --body minilm \
				--seeds $${rest%%:*} $(LABEL_EFFICIENCY) --strategies $${strategies:-$(LABEL_EFFICIENCY_STRATEGIES)} \
				--out $(LABEL_EFFICIENCY_OUT)/$$name || exit 1; \
		done & pids="$$pids $$!"; \
	done; for pid in $$pids; do wait $$pid || exit 1; done
endef

bench-label-efficiency: setup
	$(call e5_runs,--seeds 128 --strategies $(LABEL_EFFICIENCY_STRATEGIES))
	$(call tfidf_lanes,$(LABEL_EFFICIENCY_TFIDF))
	$(VENV)/bin/python bench/worst_setting.py $(LABEL_EFFICIENCY_OUT) --out $(LABEL_EFFICIENCY_OUT)/worst_setting.md

bench-label-efficiency-alternatives: setup
	$(call e5_runs,--seeds 32 --strategies random hedged@pool)
	$(call tfidf_lanes,$(LABEL_EFFICIENCY_TFIDF_ALTERNATIVES))
	$(VENV)/bin/python bench/worst_setting.py $(LABEL_EFFICIENCY_OUT) --out $(LABEL_EFFICIENCY_OUT)/worst_setting.md

# BENCH_SERVER=path/to/bucle.yaml: a project whose embedded server is running (the test session's,
# in CI) serves the benchmarks that need Argilla, instead of one server each; BENCH_TRAINED=path/to/
# bucle.yaml: a trained project (the session's demo project, in CI) that the demo and publishing
# benchmarks copy instead of training the example each.
bench-smoke: setup
	$(VENV)/bin/python bench/smoke.py $(SHARED_SERVER) $(TRAINED)

clean:
	rm -rf $(VENV) $(SERVER_VENV)
