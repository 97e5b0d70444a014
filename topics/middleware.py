"""Middleware of our own."""

from django.http import HttpRequest

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
