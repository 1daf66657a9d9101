"""ARCHIVE_DATABASE_URL reaches the database settings and the router; without it the archive stays in the
main database (its own tables)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ("from django.conf import settings; from retention.routers import archive_alias; "
          "from django.db import router; from retention.models import ArchivedRecord, DestructionLog; "
          "print(settings.DATABASES.get('archive', {}).get('NAME'), archive_alias(), "
          "router.db_for_write(ArchivedRecord), router.db_for_write(DestructionLog), "
          "router.allow_migrate('archive', 'members', model_name='member'), "
          "router.allow_migrate('default', 'retention', model_name='archivedrecord'))")


def _shell(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "ARCHIVE_DATABASE_URL"}
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", SCRIPT], cwd=ROOT, capture_output=True,
                            text=True, env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings.test", **env},
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_the_archive_goes_to_its_own_database_when_the_variable_is_set():
    line = _shell(ARCHIVE_DATABASE_URL="postgres://postgres@127.0.0.1:5432/some_archive")
    assert line == "some_archive archive archive default False False"


def test_without_the_variable_the_archive_has_its_own_tables_in_the_main_database():
    assert _shell() == "None default default default False True"
