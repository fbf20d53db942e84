# geotrace: `make demo` runs the bundled case, `make test` runs the whole suite.
# Both build their own virtual environment in .venv from nothing but Python >= 3.11.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CASE   := demo-out/demo.case

.PHONY: demo test lint typecheck unit clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps: reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	rm -rf demo-out
	mkdir -p demo-out
	$(BIN)/geotrace ingest demo/photos demo/exports --case $(CASE) || test $$? -eq 1
	$(BIN)/geotrace sightings --case $(CASE) --format geojson -o demo-out/sightings.geojson
	$(BIN)/geotrace sightings --case $(CASE) --format csv -o demo-out/sightings.csv
	$(BIN)/geotrace verify --case $(CASE)
	$(BIN)/geotrace regions --case $(CASE)
	$(BIN)/geotrace accounts --case $(CASE)
	$(BIN)/geotrace posts --case $(CASE) --format csv -o demo-out/posts.csv
	$(BIN)/geotrace sightings --case $(CASE) --format kml -o demo-out/sightings.kml
	$(BIN)/geotrace copies --case $(CASE)
	$(BIN)/geotrace report --case $(CASE) -o demo-out/report.html
	$(BIN)/geotrace map --case $(CASE) -o demo-out/map.html
	@echo
	@echo "Outputs:"
	@echo "  case (SQLite, opens in sqlite3/Datasette): $(CASE)"
	@echo "  originals, content-addressed:             $(CASE).media/"
	@echo "  sightings for QGIS (GeoJSON):              demo-out/sightings.geojson"
	@echo "  sightings as a table (CSV):                demo-out/sightings.csv"
	@echo "  posts of the bundled exports (CSV):        demo-out/posts.csv"
	@echo "  sightings for Google Earth (KML, times):   demo-out/sightings.kml"
	@echo "  the evidence report (HTML, offline):       demo-out/report.html"
	@echo "  the map with a timeline (HTML, offline):   demo-out/map.html"

test: lint typecheck unit

lint: $(VENV)/.installed-test
	$(BIN)/ruff check
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/lint-imports  # the import order: [tool.importlinter] in pyproject.toml

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

unit: $(VENV)/.installed-test
	$(BIN)/pytest -q

clean:
	rm -rf demo-out $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
