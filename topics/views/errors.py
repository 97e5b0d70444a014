"""Friendly error pages."""

import math

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.html import format_html


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return HttpResponse(
        loader.render_to_string("404.html", {"path": request.path}, request), status=404
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors or database: this page must render when they fail.
    return HttpResponse(loader.render_to_string("500.html"), status=500)


def too_many_requests(
    request: HttpRequest, *, retry_after: int | None = None, sign_in: bool = False
) -> HttpResponse:
    """429: a rate limit refused the request. Say so, and when to try again if we know."""
    minutes = math.ceil(retry_after / 60) if retry_after else None
    if sign_in:
        message = "Too many sign-in attempts from your address."
    else:
        message = "You sent too many requests in a short time."
    wait = f"Try again in {minutes} minute{'s' if minutes != 1 else ''}." if minutes else ""
    if request.headers.get("x-requested-with") == "XMLHttpRequest":
        # The Markdown editor's preview pane and its upload: a short answer it can show.
        text = f"{message} {wait or 'Wait a little and try again.'}"
        match = request.resolver_match
        if match is not None and match.url_name == "markdownx_upload":
            response = JsonResponse({"image": [text]}, status=429)
        else:
            response = HttpResponse(format_html('<p class="form-error">{}</p>', text), status=429)
    else:
        context = {"message": message, "wait": wait, "sign_in": sign_in}
        response = HttpResponse(loader.render_to_string("429.html", context, request), status=429)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response
