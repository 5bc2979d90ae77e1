# Caravana: `make run` serves the demo, `make test` runs the whole suite. Both set up first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export FLASK_APP := wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
# The address to open in a browser for what gunicorn binds: a wildcard bind (0.0.0.0, ::) is
# reached through the loopback, an IPv6 address goes in brackets.
URL_HOST = $(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(if $(filter ::,$(HOST)),[::1],$(if $(findstring :,$(HOST)),[$(HOST)],$(HOST))))
URL = http://$(URL_HOST):$(PORT)

.PHONY: run reset-demo test test-postgres bench bench-search bench-editor bundles setup translations extract-messages update-catalogues lint clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) translations

## Node's ical.js, which the tests read feeds with (as Thunderbird does); not needed to run.
NODE_STAMP := node_modules/.package-lock.json
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund

## Compile the .po catalogues into the .mo files Flask-Babel reads.
translations: $(STAMP)
	$(BIN)/pybabel compile --statistics -d app/translations

## After changing strings: extract them and merge into every catalogue (then translate).
extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--project Caravana --copyright-holder "Caravana contributors" -o app/translations/messages.pot .

update-catalogues: extract-messages
	$(BIN)/pybabel update -N --ignore-obsolete -i app/translations/messages.pot -d app/translations
	$(BIN)/python scripts/fill_english_catalogue.py

run: setup
	mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask markup refresh
	$(BIN)/flask seed-demo --if-empty --url $(URL)
	$(BIN)/flask search drain
	@echo "Caravana is served at $(URL)/ (sign in at $(URL)/account/login)"
	$(BIN)/gunicorn --worker-class gthread --workers 1 --threads 1200 --worker-connections 2000 \
		--bind $(HOST):$(PORT) --access-logfile - wsgi:app

## Start the demo again from scratch: the embedded database (and the search index, uploads and
## mail kept beside it under instance/) is removed, then the demo is loaded anew.
reset-demo: setup
	test -z "$(DATABASE_URL)$(CARAVANA_INSTANCE_DIR)" || (echo "reset-demo resets the embedded database in instance/ only: unset DATABASE_URL and CARAVANA_INSTANCE_DIR" && false)
	rm -f instance/caravana.sqlite3 instance/caravana.sqlite3-journal instance/caravana.sqlite3-wal instance/caravana.sqlite3-shm
	rm -rf instance/search-index instance/uploads instance/mail
	mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask markup refresh
	$(BIN)/flask seed-demo --url $(URL)
	$(BIN)/flask search drain

test: setup $(NODE_STAMP)
	$(BIN)/python -m pytest --cov=app --cov-report=term $(PYTEST_ARGS)

## The same suite against PostgreSQL (TEST_DATABASE_URL must name a scratch database);
## the live tests run their own servers on SQLite files, so they run once, in `make test`.
test-postgres: setup $(NODE_STAMP)
	test -n "$(TEST_DATABASE_URL)" || (echo "set TEST_DATABASE_URL=postgresql+psycopg://..." && false)
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python -m pytest -p no:cacheprovider -m "not live" $(PYTEST_ARGS)

## Chat fan-out benchmark (not a test): Caravana against a bare python-socketio server.
## BENCH_ARGS="--clients 20 --rate 10 --seconds 5" for a quick look; see docs/PERFORMANCE.md.
bench: setup
	$(BIN)/python bench/chat_fanout.py --clients 100 --rate 20 --seconds 15 $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check app tests bench

clean:
	rm -rf $(VENV) instance .pytest_cache .coverage

## Pages under a crowd (not a test): 100 users on the grown large demo, /healthz as baseline,
## then the saturation. BENCH_ARGS="--quick" for a short look; see docs/PERFORMANCE.md.
.PHONY: bench-pages bench-sockets bench-saturation
bench-pages: setup
	$(BIN)/python bench/pages.py $(BENCH_ARGS)

## Socket capacity (not a test): 1,000 signed-in sockets and 200 anonymous attempts on one
## process while pages are measured; see README, "Capacity".
bench-sockets: setup
	$(BIN)/python bench/sockets.py $(BENCH_ARGS)

## Library search (not a test): Whoosh against SQLite FTS5 on 10k and 100k documents in
## five languages, with the permission filter; BENCH_ARGS="--quick" for a short look.
bench-search: setup
	$(BIN)/python bench/search.py $(BENCH_ARGS)

## Rebuild the browser bundles in static/dist (socket.io client, live editor) from package.json.
bundles:
	scripts/build-static.sh

## Live manifesto editing (not a test): 30 editors x 5 changes/s against a bare pycrdt relay,
## and the load time of a manifesto with 50,000 stored updates before and after compaction.
bench-editor: setup
	$(BIN)/python bench/editor.py $(BENCH_ARGS)

## Chat at saturation (not a test): a room of 100 at 60 msg/s, every send answered.
bench-saturation: setup
	$(BIN)/python bench/chat_fanout.py --clients 100 --rate 60 --seconds 15 --senders 20 $(BENCH_ARGS)
