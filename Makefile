# AccessMatch: `make run` serves the demo; `make test` runs lint and the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
PORT := $(or $(ACCESSMATCH_PORT),8000)
DEMO_ENV := ACCESSMATCH_DEMO=true ACCESSMATCH_DATABASE_URL=sqlite:///./var/accessmatch.db

.PHONY: run test lint typecheck openapi bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: $(STAMP)
	mkdir -p var
	$(DEMO_ENV) $(BIN)/accessmatch migrate
	$(DEMO_ENV) $(BIN)/accessmatch seed-demo --if-empty > var/seed-summary.json
	@echo ""
	@echo "AccessMatch demo (embedded SQLite: var/accessmatch.db)"
	@echo "  API docs:  http://127.0.0.1:$(PORT)/docs"
	@echo "  OpenAPI:   http://127.0.0.1:$(PORT)/openapi.json"
	@echo "  Health:    http://127.0.0.1:$(PORT)/readyz    Metrics: http://127.0.0.1:$(PORT)/metrics"
	@echo "  Demo API keys (header X-API-Key):"
	@$(BIN)/python -c "from service.demo.seed import DEMO_KEYS; [print(f'    {r:<10} {k}') for r, k in DEMO_KEYS.items()]"
	@echo ""
	$(DEMO_ENV) ACCESSMATCH_LOG_JSON=false $(BIN)/accessmatch serve --host 127.0.0.1 --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy service

test: lint typecheck
	$(BIN)/python -m pytest

openapi: $(STAMP)
	ACCESSMATCH_DEMO=true $(BIN)/accessmatch openapi --output openapi/openapi.json

bench: $(STAMP)
	$(BIN)/python bench/import_bench.py
	$(BIN)/python bench/match_bench.py
	$(BIN)/python bench/fairness_bench.py
	$(BIN)/python bench/simulated_year.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
