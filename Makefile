# Quick start: `make run` (serve the demo on :8000) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: venv run test bench eval lint format openapi migrate clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

run: venv  ## migrate the embedded database, seed demo data if empty, print an admin key, serve (webhooks may reach http receivers on loopback: a development demo)
	$(BIN)/escouting migrate
	$(BIN)/escouting seed-demo --if-empty
	$(BIN)/escouting create-api-key --role admin --name "make run"
	WEBHOOKS_ALLOW_HTTP_LOOPBACK=true $(BIN)/escouting serve --host $(HOST) --port $(PORT)

test: venv  ## every test, one process per core; PostgreSQL too when TEST_DATABASE_URL is set
	$(BIN)/pytest -n auto --dist loadfile

bench: venv  ## seed 100,000 suppliers on SQLite and PostgreSQL, serve them: distinct queries asked once (cold), scouting, start-up and memory, warm mix, worst inputs, /healthz under load
	$(BIN)/python bench/run.py $(BENCH_ARGS)

eval: venv  ## relevance of the search on eval/ (hand-written profiles, judged queries): nDCG@10, MRR, recall@10 per class and a BM25 baseline, on SQLite and (with EVAL_PG_URL or TEST_DATABASE_URL) PostgreSQL
	$(BIN)/python eval/run.py

lint: venv  ## ruff, then mypy --strict on app/ (configured in pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

openapi: venv  ## regenerate the committed OpenAPI copy
	$(BIN)/python scripts/export_openapi.py

migrate: venv
	$(BIN)/escouting migrate

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
