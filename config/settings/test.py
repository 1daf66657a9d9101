"""Test settings: the suite runs on PostgreSQL and Redis on 127.0.0.1 unless the environment says otherwise."""

import os

os.environ.setdefault("DEBUG", "0")  # tests run production settings, whatever a local .env says
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/privacy_backoffice")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("CELERY_RESULT_BACKEND", "redis://127.0.0.1:6379/15")
os.environ.setdefault("SECRET_KEY", "test-secret-key-0f1e2d3c4b5a69788796a5b4c3d2e1f0-test")
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "test-field-encryption-key-9a8b7c6d5e4f3a2b1c0d")
os.environ.setdefault("BLIND_INDEX_KEY", "test-blind-index-key-1a2b3c4d5e6f7a8b9c0d1e2f")

from config.settings.base import *  # noqa: F403

# Plain HTTP in the test client and the browser tests.
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
