"""Issue 5, point 5: the wrong key stops start-up (system check, web, worker and beat), not every request;
the message says which key is wrong. A fresh database gets its canaries written."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from tests.members.helpers_keys import NEW_FIELD_KEY, NEW_INDEX_KEY

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "prod-secret-key-4a8f1c9e2b7d6a5f3e1c0b9a8d7e6f5c4b3a2918",
    "FIELD_ENCRYPTION_KEY": "prod-field-encryption-key-1c9e2b7d6a5f3e1c0b9a8d7e",
    "BLIND_INDEX_KEY": "prod-blind-index-key-7d6a5f3e1c0b9a8d7e6f5c4b3a29",
    "ALLOWED_HOSTS": "privacy.example.co.kr",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/13",
}
WRONG_FIELD_KEY = "wrong-field-encryption-key-5d4c3b2a19087f6e5d4c"
WRONG_INDEX_KEY = "wrong-blind-index-key-8f7e6d5c4b3a29180f7e6d5c"


def check_keys():
    # imported here, so that the start-up tests below also run (and fail) on the code before issue 5
    from members.keys import check_keys as check

    return check()


# --- in process, on PostgreSQL ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_fresh_database_gets_its_canaries_written_and_passes():
    from members.models import KeyCanary

    assert not KeyCanary.objects.exists()
    assert check_keys() == []
    assert set(KeyCanary.objects.values_list("purpose", flat=True)) == {"field_encryption", "blind_index"}
    assert check_keys() == []


@pytest.mark.django_db
def test_a_wrong_field_key_fails_the_check_naming_field_encryption_key():
    from members.keys import refuse_to_start_with_wrong_keys

    check_keys()
    with override_settings(FIELD_ENCRYPTION_KEY=WRONG_FIELD_KEY):
        errors = check_keys()
        with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEY is wrong"):
            refuse_to_start_with_wrong_keys()
    assert [error.id for error in errors] == ["members.E010"]
    assert errors[0].msg.startswith("FIELD_ENCRYPTION_KEY is wrong")


@pytest.mark.django_db
def test_a_wrong_blind_index_key_fails_the_check_naming_blind_index_key():
    check_keys()
    with override_settings(BLIND_INDEX_KEY=WRONG_INDEX_KEY):
        errors = check_keys()
    assert [error.id for error in errors] == ["members.E011"]
    assert errors[0].msg.startswith("BLIND_INDEX_KEY is wrong")


@pytest.mark.django_db
def test_a_new_key_with_the_old_one_kept_as_old_key_passes_until_rotation_rewrites_the_canaries():
    from members.keys import rotate_keys

    check_keys()
    rotating = override_settings(FIELD_ENCRYPTION_KEY=NEW_FIELD_KEY,
                                 FIELD_ENCRYPTION_OLD_KEYS=[settings.FIELD_ENCRYPTION_KEY],
                                 BLIND_INDEX_KEY=NEW_INDEX_KEY, BLIND_INDEX_OLD_KEYS=[settings.BLIND_INDEX_KEY])
    new_only = override_settings(FIELD_ENCRYPTION_KEY=NEW_FIELD_KEY, BLIND_INDEX_KEY=NEW_INDEX_KEY)
    with new_only:
        assert len(check_keys()) == 2  # the old keys dropped before rotate_keys ran: refused
    with rotating:
        assert check_keys() == []
        rotate_keys()
    with new_only:
        assert check_keys() == []


# --- start-up of each process, in subprocesses on a database of their own ------------------------------------

def _env(database: Path, **overrides: str) -> dict[str, str]:
    dropped = {"DATABASE_URL", "FIELD_ENCRYPTION_OLD_KEYS", "BLIND_INDEX_OLD_KEYS", *PRODUCTION}
    clean = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("DJANGO_")}
    return {**clean, "DJANGO_SETTINGS_MODULE": "config.settings.base", **PRODUCTION,
            "DATABASE_URL": f"sqlite:///{database}", **overrides}


def _run(*args: str, env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=timeout)


@pytest.fixture(scope="module")
def written_database(tmp_path_factory) -> Path:
    """A migrated database whose canaries were written (by the first check) under the production keys."""
    database = tmp_path_factory.mktemp("canary") / "db.sqlite3"
    migrated = _run("manage.py", "migrate", "--noinput", env=_env(database))
    assert migrated.returncode == 0, migrated.stderr
    checked = _run("manage.py", "check", "--deploy", "--fail-level", "WARNING", env=_env(database))
    assert checked.returncode == 0, checked.stderr
    return database


@pytest.mark.parametrize(("key", "wrong"), [("FIELD_ENCRYPTION_KEY", WRONG_FIELD_KEY),
                                            ("BLIND_INDEX_KEY", WRONG_INDEX_KEY)])
def test_check_deploy_refuses_a_wrong_key_and_names_it(written_database, key, wrong):
    result = _run("manage.py", "check", "--deploy", env=_env(written_database, **{key: wrong}))
    assert result.returncode != 0
    assert f"{key} is wrong" in result.stderr


def test_the_web_starts_with_the_right_keys_and_refuses_a_wrong_one(written_database):
    started = _run("-c", "import config.wsgi; print('started')", env=_env(written_database))
    assert started.returncode == 0, started.stderr
    refused = _run("-c", "import config.wsgi", env=_env(written_database, FIELD_ENCRYPTION_KEY=WRONG_FIELD_KEY))
    assert refused.returncode != 0
    assert "FIELD_ENCRYPTION_KEY is wrong" in refused.stderr


@pytest.mark.worker
@pytest.mark.parametrize("process", ["worker", "beat"])
def test_the_celery_worker_and_beat_refuse_to_start_with_a_wrong_key(written_database, process, tmp_path):
    extra = (["--pool=solo", "--without-gossip", "--without-mingle", "--without-heartbeat"] if process == "worker"
             else ["--schedule", str(tmp_path / "beat-schedule")])
    result = _run("-m", "celery", "-A", "config", process, "--loglevel=WARNING", *extra,
                  env=_env(written_database, BLIND_INDEX_KEY=WRONG_INDEX_KEY), timeout=90)
    assert result.returncode != 0
    assert "BLIND_INDEX_KEY is wrong" in result.stderr


def test_a_database_that_was_never_migrated_does_not_fail_the_check(tmp_path):
    result = _run("manage.py", "check", "--deploy", "--fail-level", "WARNING", env=_env(tmp_path / "empty.sqlite3"))
    assert result.returncode == 0, result.stderr


# --- the settings of the key ring ---------------------------------------------------------------------------

def test_old_keys_reach_the_settings_comma_separated(tmp_path):
    olds = "old-field-key-one-0123456789abcdefghijkl,old-field-key-two-0123456789abcdefghijkl"
    result = _run("manage.py", "shell", "-c", "from django.conf import settings as s; "
                  "print(s.FIELD_ENCRYPTION_OLD_KEYS, s.BLIND_INDEX_OLD_KEYS)",
                  env=_env(tmp_path / "db.sqlite3", FIELD_ENCRYPTION_OLD_KEYS=olds))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == f"{olds.split(',')} []"


@pytest.mark.parametrize(("name", "value", "message"), [
    ("FIELD_ENCRYPTION_OLD_KEYS", "too-short", "FIELD_ENCRYPTION_OLD_KEYS: every key must be at least 32"),
    ("BLIND_INDEX_OLD_KEYS", "short,another-blind-index-key-0123456789abcdef", "BLIND_INDEX_OLD_KEYS: every key"),
    ("FIELD_ENCRYPTION_OLD_KEYS", PRODUCTION["FIELD_ENCRYPTION_KEY"], "must differ from each other"),
    ("BLIND_INDEX_OLD_KEYS", PRODUCTION["SECRET_KEY"], "must differ from each other"),
])
def test_production_refuses_short_or_repeated_old_keys(tmp_path, name, value, message):
    result = _run("manage.py", "check", env=_env(tmp_path / "db.sqlite3", **{name: value}))
    assert result.returncode != 0
    assert message in result.stderr
