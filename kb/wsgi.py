"""WSGI entry point (gunicorn kb.wsgi).

Anonymous readers' repeated requests for cached pages are answered by
`ReaderCache` before Django's request handling (topics/page_cache.py).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kb.settings")
django_application = get_wsgi_application()

from topics.page_cache import ReaderCache  # noqa: E402 (needs Django set up)

application = ReaderCache(django_application)
