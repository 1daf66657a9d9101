"""Settings read from the environment reach their consumers; production refuses to start without secrets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf import pbkdf2
from django.conf import settings

from config.celery import app

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "prod-secret-key-4a8f1c9e2b7d6a5f3e1c0b9a8d7e6f5c4b3a2918",
    "FIELD_ENCRYPTION_KEY": "prod-field-encryption-key-1c9e2b7d6a5f3e1c0b9a8d7e",
    "BLIND_INDEX_KEY": "prod-blind-index-key-7d6a5f3e1c0b9a8d7e6f5c4b3a29",
    "ALLOWED_HOSTS": "privacy.example.co.kr",
    "DATABASE_URL": "sqlite:////tmp/privacy-prod-check.sqlite3",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/13",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION and not k.startswith("DJANGO_")}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings.base", **env}, timeout=120)


def test_check_deploy_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "FIELD_ENCRYPTION_KEY", "BLIND_INDEX_KEY"])
def test_production_refuses_to_start_without_a_secret_and_names_it(missing):
    env = {key: value for key, value in PRODUCTION.items() if key != missing}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert f"{missing} is not set" in result.stderr


@pytest.mark.parametrize("key", ["SECRET_KEY", "FIELD_ENCRYPTION_KEY", "BLIND_INDEX_KEY"])
def test_production_refuses_a_key_shorter_than_32_characters(key):
    result = _manage("check", env={**PRODUCTION, key: "k" * 31})
    assert result.returncode != 0
    assert f"{key} must be at least 32 characters long" in result.stderr


def test_the_blind_index_key_may_not_be_the_field_key():
    result = _manage("check", env={**PRODUCTION, "BLIND_INDEX_KEY": PRODUCTION["FIELD_ENCRYPTION_KEY"]})
    assert result.returncode != 0
    assert "must all differ" in result.stderr


def test_development_mode_stands_in_for_missing_secrets_and_relaxes_https():
    env = {"DEBUG": "1", "DATABASE_URL": PRODUCTION["DATABASE_URL"]}
    result = _manage("shell", "-c", "from django.conf import settings as s; print(s.SECRET_KEY[:9], "
                     "s.FIELD_ENCRYPTION_KEY[:9], s.BLIND_INDEX_KEY[:9], s.SECURE_SSL_REDIRECT, "
                     "s.SESSION_COOKIE_SECURE)", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["dev-only-"] * 3 + ["False", "False"]


def test_production_is_secure_by_default():
    result = _manage("shell", "-c", "from django.conf import settings as s; print(s.DEBUG, s.SECURE_SSL_REDIRECT, "
                     "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.ALLOWED_HOSTS)",
                     env={k: v for k, v in PRODUCTION.items() if k != "ALLOWED_HOSTS"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["False", "True", "True", "True", "31536000", "[]"]


def test_the_field_key_may_not_be_the_secret_key():
    result = _manage("check", env={**PRODUCTION, "FIELD_ENCRYPTION_KEY": PRODUCTION["SECRET_KEY"]})
    assert result.returncode != 0
    assert "must all differ" in result.stderr


def test_language_time_zone_and_password_hashing():
    assert (settings.LANGUAGE_CODE, settings.TIME_ZONE, settings.USE_TZ) == ("ko-kr", "Asia/Seoul", True)
    assert [code for code, _ in settings.LANGUAGES] == ["ko", "en"]
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert settings.AUTH_USER_MODEL == "members.Member"


def test_celery_settings_reach_the_celery_app():
    assert app.conf.broker_url == os.environ["CELERY_BROKER_URL"]
    assert (app.conf.task_serializer, app.conf.result_serializer, app.conf.accept_content) == ("json", "json",
                                                                                               ["json"])
    assert (app.conf.task_time_limit, app.conf.task_soft_time_limit) == (600, 540)
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
    assert app.conf.task_always_eager is False


def test_the_worker_finds_every_apps_tasks():
    # given the Celery app as a worker starts it, whatever this test process imported before
    # when: the worker imports its default modules, which runs the autodiscovery of each app's tasks.py
    app.loader.import_default_modules()
    # then
    assert "members.tasks.refresh_blind_indexes" in app.tasks


def test_django_cryptography_is_keyed_by_the_field_key_not_the_secret_key():
    # the library derives its key with PBKDF2 from CRYPTOGRAPHY_KEY, else from SECRET_KEY
    def derived(secret: str) -> bytes:
        return pbkdf2.PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=b"django-cryptography",
                                 iterations=30000).derive(secret.encode())

    assert settings.CRYPTOGRAPHY_KEY == derived(settings.FIELD_ENCRYPTION_KEY) != derived(settings.SECRET_KEY)


def test_the_embedded_defaults_need_no_server():
    env = {k: v for k, v in PRODUCTION.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    result = _manage("shell", "-c", "from django.conf import settings as s; from config.celery import app;"
                     "print(s.DATABASES['default']['ENGINE'], app.conf.broker_url)", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["django.db.backends.sqlite3", "filesystem://"]
