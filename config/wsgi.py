import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

application = get_wsgi_application()

# The web refuses to start under a wrong FIELD_ENCRYPTION_KEY or BLIND_INDEX_KEY (members/keys.py).
from members.keys import refuse_to_start_with_wrong_keys  # noqa: E402

refuse_to_start_with_wrong_keys()
