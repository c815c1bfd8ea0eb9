# Zennin — the two commands that matter: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# Links in e-mail (verification, reset) point at the server that `make run` / `make serve` start.
PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
FLASK := $(BIN)/flask --app wsgi

.DEFAULT_GOAL := help
PG_URL ?= postgresql+psycopg://zennin:zennin@127.0.0.1:5432/zennin

.PHONY: help setup translations db run serve test test-pg test-fast lint eval-search eval-pii bench-search bench bench-login bench-analytics

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/activate: requirements.txt requirements-dev.txt requirements-nodeps.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -r requirements-nodeps.txt
	touch $(BIN)/activate

setup: $(BIN)/activate translations ## Create .venv and install the pinned dependencies

translations: $(BIN)/activate ## Compile the message catalogs
	$(BIN)/pybabel -q compile --use-fuzzy -d app/translations -f

db: setup ## Migrate the database, load organizations and the starter jargon list, seed the demo if empty
	$(FLASK) db upgrade
	$(FLASK) orgs load
	$(FLASK) search synonyms load
	$(FLASK) seed demo

run: db ## Set up, migrate, load demo data, serve on http://127.0.0.1:$(PORT)
	PUBLIC_BASE_URL=$(PUBLIC_BASE_URL) $(FLASK) run --host 127.0.0.1 --port $(PORT)

serve: db ## Serve with gunicorn (3 workers) on 127.0.0.1:$(PORT); see README "Production"
	PUBLIC_BASE_URL=$(PUBLIC_BASE_URL) $(BIN)/gunicorn -c gunicorn.conf.py --bind 127.0.0.1:$(PORT) wsgi:app

test: setup ## Run the whole suite
	$(BIN)/pytest

test-pg: setup ## The suite against PostgreSQL at PG_URL (.ci/run starts one)
	@$(BIN)/python -c "import sqlalchemy as sa; sa.create_engine('$(PG_URL)').connect().close()" 2>/dev/null \
		|| { echo "No PostgreSQL server reachable at $(PG_URL) (see .ci/run for how CI starts one)"; exit 1; }
	DATABASE_URL=$(PG_URL) $(BIN)/pytest

test-fast: setup ## The suite without the browser tests
	$(BIN)/pytest -m "not browser"

lint: setup ## ruff
	$(BIN)/ruff check .

eval-search: setup ## Search quality (MRR@10, Recall@10) on real Japanese data, ours vs Whoosh's default
	$(BIN)/python -m bench.eval_search

eval-pii: setup ## Personal-information check: precision/recall per category on a labelled corpus, speed
	$(BIN)/python -m bench.pii_eval

bench-search: setup ## Search speed at 100k questions / 300k answers
	$(BIN)/python -m bench.search_bench

bench: setup ## Pages under load at 100k questions vs a bare route (BENCH_ARGS="--questions 20000")
	$(BIN)/python -m bench.site_bench $(BENCH_ARGS)

bench-login: setup ## 300 members log in from one address within a minute; guessing one account from 20 addresses
	$(BIN)/python -m bench.login_load $(BENCH_ARGS)

bench-analytics: setup ## The analytics page's figures per scope and period at 100k questions (BENCH_ARGS="--questions 20000")
	$(BIN)/python -m bench.analytics_bench $(BENCH_ARGS)
