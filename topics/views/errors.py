"""Friendly error pages."""

from django.http import HttpRequest, HttpResponse
from django.template import loader


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return HttpResponse(
        loader.render_to_string("404.html", {"path": request.path}, request), status=404
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors or database: this page must render when they fail.
    return HttpResponse(loader.render_to_string("500.html"), status=500)
