"""The Celery app: settings come from Django's under the CELERY_ namespace; tasks live in each app's tasks.py."""

import os
import sys

from celery import Celery
from celery.signals import beat_init, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("privacy_backoffice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_broker_folders(sender: Celery, **kwargs) -> None:
    """kombu's filesystem transport needs its folders to exist before the first message."""
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        folder = sender.conf.broker_transport_options.get(key)
        if folder:
            os.makedirs(folder, exist_ok=True)


@worker_init.connect
@beat_init.connect
def _refuse_to_start_with_wrong_keys(sender=None, **kwargs) -> None:
    """A worker or beat under a wrong FIELD_ENCRYPTION_KEY or BLIND_INDEX_KEY stops here, saying which.

    SystemExit, because Celery logs and swallows an ordinary exception raised by a signal handler."""
    import django
    from django.core.exceptions import ImproperlyConfigured

    django.setup()
    from members.keys import refuse_to_start_with_wrong_keys

    try:
        refuse_to_start_with_wrong_keys()
    except ImproperlyConfigured as error:
        # sys.__stderr__: beat has replaced sys.stderr with a logging proxy by now
        print(f"ERROR: {error}", file=sys.__stderr__, flush=True)
        raise SystemExit(1) from error
