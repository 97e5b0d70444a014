"""Middleware of our own."""

from django.http import HttpRequest, HttpResponseBadRequest

from topics.views.reading import healthz


class HealthCheckMiddleware:
    """Answer /healthz before host validation and HTTPS redirects.

    Load balancers and container health checks call it by IP over plain HTTP,
    which ALLOWED_HOSTS and SECURE_SSL_REDIRECT would otherwise refuse.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if request.path == "/healthz" and request.method in {"GET", "HEAD"}:
            return healthz(request)
        return self.get_response(request)


class RejectNulMiddleware:
    """Answer 400 to a NUL character in the path or the query string.

    PostgreSQL cannot store or compare text containing NUL, so such a value
    reaching a query would be a 500. Form fields reject it with a message.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if "\x00" in request.path or any(
            "\x00" in value for values in request.GET.lists() for value in values[1]
        ):
            return HttpResponseBadRequest("NUL characters are not allowed in addresses.")
        return self.get_response(request)
