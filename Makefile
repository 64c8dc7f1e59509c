# Two commands do everything on a fresh machine:
#   make demo   set up, then process the bundled examples end to end (SQLite, local engine)
#   make test   set up, then run the test suite (everything; what CI runs)
#   make check  lint, types and the fast tests (pytest -m "not slow"; tests/conftest.py says
#               what is slow): about 2 minutes on 2 cores
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test check setup system-deps lint typecheck bench examples clean calibrate

# The examples hold a damaged PDF and receipts that need a person on purpose, so folio's
# exit status 1 ("some files did not end done") is the expected outcome; 2 or worse fails.
demo: setup
	$(BIN)/folio process examples/invoices --schema invoice || [ $$? -eq 1 ]
	$(BIN)/folio process examples/receipts --schema receipt || [ $$? -eq 1 ]
	@echo
	@echo "Stored in Folio's data dir (FOLIO_DATA_DIR; default ~/.local/share/folio, from any folder):"
	@$(BIN)/folio db info
	@echo "Try:"
	@echo "  $(BIN)/folio process examples/invoices --format json  # JSON Lines (already done: answered from the database)"
	@echo "  $(BIN)/folio show DOCUMENT_ID                      # fields with confidence, page and source text"

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

check: lint typecheck
	$(BIN)/pytest -m "not slow" -q $(PYTEST_ARGS)

setup: system-deps $(STAMP)

# Shared libraries the OCR wheels link against (present on most machines; installed if not).
system-deps:
	@if ! ldconfig -p 2>/dev/null | grep -q 'libGL.so.1' || ! ldconfig -p 2>/dev/null | grep -q 'libglib-2.0.so.0'; then \
		echo "installing libgl1 and libglib2.0-0 (needed by OpenCV, used by RapidOCR)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends libgl1 libglib2.0-0; \
	fi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The gates CI runs before the tests: ruff (style, complexity, argument count, blind excepts),
# formatting, and mypy over every product package (pyproject.toml [tool.ruff*], [tool.mypy]).
lint: typecheck
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

bench: setup
	$(BIN)/python -m bench.pages

# Refit the local engine's confidence calibration and done threshold (docs/calibration.md):
# score both golden sets with the current code, then fit on their field records.
SROIE    ?= ../shared/corpora/receipts-sroie
INVOICES ?= var/golden/invoices-dev
calibrate: setup
	mkdir -p var/dev
	nice $(BIN)/folio eval $(SROIE) --schema receipt --date-order dmy --engine local \
		--records var/dev/records-sroie.jsonl --json > var/dev/eval-sroie.json
	nice $(BIN)/folio eval $(INVOICES) --schema invoice --engine local \
		--records var/dev/records-invoices.jsonl --json > var/dev/eval-invoices.json
	$(BIN)/python -m bench.calibrate var/dev/records-sroie.jsonl var/dev/records-invoices.jsonl \
		--engine local --out models/data/calibration-local.json

# The generated invoice golden set (tests/support/invoice_set/README.md): dev, held-out and unseen splits.
.PHONY: golden
golden: setup
	nice $(BIN)/python -m tests.support.invoice_set --split dev --out var/golden/invoices-dev
	nice $(BIN)/python -m tests.support.invoice_set --split heldout --out var/golden/invoices-heldout
	nice $(BIN)/python -m tests.support.invoice_set --split unseen  --out var/golden/invoices-unseen
	nice $(BIN)/python -m tests.support.invoice_set --split unseen2 --out var/golden/invoices-unseen2
	nice $(BIN)/python -m tests.support.invoice_set --split unseen3 --out var/golden/invoices-unseen3
	nice $(BIN)/python -m tests.support.invoice_set --split unseen4 --out var/golden/invoices-unseen4
	nice $(BIN)/python -m tests.support.invoice_set --split unseen5 --out var/golden/invoices-unseen5

examples: setup
	$(BIN)/python -m examples.generate

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
