# make run  — first run on a fresh machine: SQLite, a broker that needs no server, the policy and demo data,
#             then web + Celery worker + beat. make test — the whole suite on PostgreSQL and Redis.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
DEMO_MEMBERS ?= 200
# The second run of tests/retention puts the archive in its own PostgreSQL database (policy §3, 별도의 DB).
ARCHIVE_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/privacy_backoffice_archive

.PHONY: install run test lint check-ci

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(PY) requirements.txt requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
	@command -v msgfmt >/dev/null || { echo "installing gettext (translations)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext; }

# The archive (분리 보관) lives in a second SQLite file on a first run.
run: export ARCHIVE_DATABASE_URL ?= sqlite:///$(CURDIR)/var/archive.sqlite3
run: install
	@test -f .env || { printf '# Written by make run: this checkout runs in development mode.\nDEBUG=1\n' > .env; \
	  echo "wrote .env (DEBUG=1): development stand-ins replace the secrets in this checkout"; }
	$(PY) manage.py migrate --noinput
	@mkdir -p var && $(PY) manage.py migrate --noinput --database archive
	$(PY) manage.py load_policy
	$(PY) manage.py demo_data --members $(DEMO_MEMBERS)
	@echo "Web: http://127.0.0.1:$(PORT)/admin/ (officer), /accounts/signup/ and /privacy/ (members)  (Ctrl-C stops web, worker and beat)"
	@$(PY) config/foreground.py \
	  "$(VENV)/bin/celery -A config worker --loglevel=INFO --without-gossip --without-mingle --without-heartbeat" \
	  "$(VENV)/bin/celery -A config beat --loglevel=INFO" \
	  "$(PY) manage.py runserver 127.0.0.1:$(PORT)"

test: install
	$(VENV)/bin/pytest -n 2 --dist loadgroup
	ARCHIVE_DATABASE_URL=$(ARCHIVE_TEST_DATABASE_URL) $(VENV)/bin/pytest -n 2 --dist loadgroup tests/retention

lint: install
	$(VENV)/bin/ruff check .
