"""WSGI applications for bench/bench_front_door.py: the floor, and a first middleware."""

import os
from pathlib import Path

BODY = Path(os.environ["BENCH_PAGE"]).read_bytes()
HEADERS = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(BODY)))]


def bare(environ, start_response):
    """A bare WSGI callable returning the saved page: what any answer costs at least."""
    start_response("200 OK", HEADERS)
    return [BODY]


class FirstMiddleware:
    """The least a first middleware can do on a hit: return the stored bytes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.http import HttpResponse

        return HttpResponse(BODY)


def _django_with_first_middleware():
    import django
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kb.settings")
    django.setup()
    settings.MIDDLEWARE = ["bench.front_door.FirstMiddleware", *settings.MIDDLEWARE]
    return WSGIHandler()


with_first_middleware = _django_with_first_middleware() if os.environ.get("BENCH_DJANGO") else None
