# Two commands do all the set-up on a fresh machine:
#   make demo   install, migrate, load demo data, start a worker and the web app
#   make test   install, then run ruff and the whole test suite on PostgreSQL and Redis
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SYSTEM_TOOLS := ffmpeg ffprobe espeak-ng sox msgfmt chromium npm
HOST ?= 127.0.0.1
PORT ?= 8000

# The test suite needs the real services; these defaults match a local PostgreSQL and Redis.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/labelhub
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: demo test screenshots setup system-deps messages vendor lint clean

setup: system-deps $(VENV)/.installed messages vendor

# Only the packages of missing tools are installed: a machine whose Node.js came from elsewhere
# has npm already, and Debian's npm package conflicts with that nodejs.
system-deps:
	@missing=""; for tool in $(SYSTEM_TOOLS); do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
	  packages=$$(for tool in $$missing; do case $$tool in ffprobe) echo ffmpeg;; msgfmt) echo gettext;; *) echo $$tool;; esac; done | sort -u | tr '\n' ' '); \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing $$packages(missing:$$missing)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$packages >/dev/null; \
	  else \
	    echo "missing system tools:$$missing -- install $$packages" >&2; exit 1; \
	  fi; \
	fi

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# Every app and browser app has its own .po files; compiling them all takes a second.
messages: $(VENV)/.installed
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules >/dev/null

# wavesurfer.js comes from npm at the exact version in frontend/package-lock.json; only its ES
# module builds are copied to frontend/vendor/ (gitignored), which Django serves as /static/vendor/.
VENDOR := frontend/vendor/wavesurfer
WAVESURFER := frontend/node_modules/wavesurfer.js/dist
vendor: $(VENDOR)/.installed

$(VENDOR)/.installed: frontend/package.json frontend/package-lock.json Makefile
	npm ci --prefix frontend --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/plugins
	cp $(WAVESURFER)/wavesurfer.esm.js frontend/node_modules/wavesurfer.js/LICENSE $(VENDOR)/
	for plugin in regions zoom minimap; do cp $(WAVESURFER)/plugins/$$plugin.esm.js $(VENDOR)/plugins/; done
	touch $@

demo: setup
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py collectstatic --noinput -v 0
	DEBUG=1 SITE_URL=http://$(HOST):$(PORT) $(BIN)/python manage.py demo_load
	DEBUG=1 SITE_URL=http://$(HOST):$(PORT) $(BIN)/python manage.py demo_analytics
	@mkdir -p var
	@echo "starting a Celery worker with beat, for the job reaper (log: var/worker.log)"
	@DEBUG=1 $(BIN)/celery -A workers worker -B --schedule=var/celerybeat-schedule -Q celery,asr --pool=solo --loglevel=INFO > var/worker.log 2>&1 & \
	worker=$$!; trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT) --noreload

test: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	  $(BIN)/python manage.py collectstatic --noinput -v 0
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	  $(BIN)/pytest $(PYTEST_ARGS)

# README's screenshots (docs/screenshots/) come from the browser tests that save them.
SCREENSHOT_TESTS := $(shell grep -rl save_doc_screenshot tests/browser --include='test_*.py')
screenshots: setup
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	  $(BIN)/python manage.py collectstatic --noinput -v 0
	LABELHUB_SCREENSHOTS=1 DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	  REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} $(BIN)/pytest $(SCREENSHOT_TESTS)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf var .pytest_cache .ruff_cache frontend/vendor frontend/node_modules
