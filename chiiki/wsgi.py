import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chiiki.settings")
application = get_wsgi_application()

# Everything loaded at start-up lives as long as the worker: keep it out of the garbage collector's full scans.
from chiiki.core.memory import freeze_startup  # noqa: E402 - needs the settings configured above

freeze_startup()
