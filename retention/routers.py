"""The archive lives in the database alias `archive` when ARCHIVE_DATABASE_URL is set (policy §3: 별도의 DB),
otherwise in its own tables of the main database."""

from django.conf import settings
from django.db import models

ARCHIVE = "archive"
# Historical models in migrations keep no class attributes, so the archive's models are named here.
ARCHIVE_MODELS = {("retention", "archivedrecord"), ("retention", "archivedatakey"), ("retention", "sweepreceipt")}


def archive_alias() -> str:
    return ARCHIVE if ARCHIVE in settings.DATABASES else "default"


def _is_archive(app_label: str, model_name: str | None) -> bool:
    return (app_label, (model_name or "").lower()) in ARCHIVE_MODELS


class ArchiveRouter:
    def db_for_read(self, model: type[models.Model], **hints) -> str | None:
        return archive_alias() if _is_archive(model._meta.app_label, model._meta.model_name) else None

    db_for_write = db_for_read

    def allow_relation(self, obj1: models.Model, obj2: models.Model, **hints) -> bool | None:
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints) -> bool | None:
        if model_name is None:
            # RunPython / RunSQL run on the main database only.
            return False if db == ARCHIVE else None
        if _is_archive(app_label, model_name):
            return db == archive_alias()
        return False if db == ARCHIVE else None
