# Nudge — the two commands a new clone needs: `make run` and `make test`.
PYTHON ?= $(shell ls -d /root/.pyenv/versions/3.13*/bin/python3 2>/dev/null | tail -n1 | grep . || command -v python3.13 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench drill build clean

# The functions' third-party packages at the versions the layer ships (layers/dependencies/requirements.txt).
PINS := layers/dependencies/requirements.txt

$(STAMP): pyproject.toml $(PINS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]' -c $(PINS)
	touch $(STAMP)

# The demo month on the local runtime (about 25 seconds); CUSTOMERS=5000 is the whole store (about 3 minutes).
CUSTOMERS ?= 500
run: $(STAMP)  ## the demo month: one store, its customers, 30 days on the simulated clock
	$(BIN)/nudge local demo --customers $(CUSTOMERS)

lint: $(STAMP)  ## ruff; mypy; the import contracts (.importlinter); cfn-lint on template.yaml and on its SAM transform
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/cfn-lint template.yaml
	$(BIN)/python -m nudge_local.runtime.sam template.yaml

# Then the contract suite once more on moto as released (NUDGE_LOCAL_PLAIN_MOTO=1: without the local runtime's
# speed-ups of moto's internals, nudge_local/emulation/speedups.py), to answer as it does with them: about 40 s
# on 2 cores (20 s of them the admin API's OpenAPI contract, through a plain local runtime).
test: lint  ## lint, then the whole suite: the same command .ci/run runs
	$(BIN)/pytest
	NUDGE_LOCAL_PLAIN_MOTO=1 $(BIN)/pytest tests/contract -q

bench: $(STAMP)
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

# A month of someone posting to the public tracker as fast as it allows, at one customer, while the
# customer's orders and a consent withdrawal arrive (~5 minutes on 2 cores). HOURS=24: every hour of the day.
HOURS ?= 1
DAYS ?= 30
drill: $(STAMP)  ## the tracker drill: the customer's orders and consent still apply; the item size against 400 KB
	$(BIN)/python bench/drill_tracker_abuse.py --hours $(HOURS) --days $(DAYS)

# The SAM CLI lives in its own virtual environment: its pinned dependencies are not Nudge's.
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam

$(SAM):
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli

build: $(SAM)  ## sam build: arm64 layers and functions, no container (python3.13 must be on PATH)
	SAM_CLI_TELEMETRY=0 $(SAM) validate --lint
	PATH="$(dir $(PYTHON)):$$PATH" SAM_CLI_TELEMETRY=0 $(SAM) build

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam
