# make demo: set up .venv and render the sample bureaus' reports.
# make test: set up .venv and run every test tier.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
YEARS  := 2021 2022

.PHONY: demo test lint format system template sample bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# System packages pip cannot install: a CJK font to read the pages, Chromium for browser tests.
system:
	scripts/install-system-packages

demo: $(STAMP)
	@scripts/install-system-packages --fonts-only || true
	$(BIN)/zongjie validate --data data/sample --params parameters
	@for year in $(YEARS); do \
	  $(BIN)/zongjie batch --data data/sample --params parameters --year $$year --out output || exit 1; \
	  $(BIN)/zongjie batch --data data/sample --params parameters --year $$year --out output/training --report training || exit 1; \
	done
	@echo "各单位报告索引：$(CURDIR)/output/2021/index.html 与 $(CURDIR)/output/2022/index.html"
	@echo "干部教育培训工作总结：$(CURDIR)/output/training/2021/index.html 与 $(CURDIR)/output/training/2022/index.html"

test: $(STAMP)
	$(BIN)/ruff check toolkit tests benchmarks scripts templates
	$(BIN)/ruff format --check --quiet toolkit tests benchmarks scripts templates
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check toolkit tests benchmarks scripts templates
	$(BIN)/ruff format --check toolkit tests benchmarks scripts templates
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format toolkit tests benchmarks scripts templates
	$(BIN)/ruff check --fix toolkit tests benchmarks scripts templates

template: $(STAMP)
	$(BIN)/python templates/report/build.py

sample: $(STAMP)
	$(BIN)/python scripts/make_sample_data.py

bench: $(STAMP)
	$(BIN)/python benchmarks/render.py

clean:
	rm -rf $(VENV) output .pytest_cache
