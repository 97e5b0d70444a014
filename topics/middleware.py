"""Middleware of our own."""

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
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
    Admin actions are the one place where posted values reach a query
    unchecked: see `process_view`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if "\x00" in request.path or any(
            "\x00" in value for values in request.GET.lists() for value in values[1]
        ):
            return HttpResponseBadRequest("NUL characters are not allowed in addresses.")
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        """Answer 400 to an admin action on items that are not primary keys.

        The admin filters `pk__in` with the posted `_selected_action` values as
        they are: "abc", "²" or "1\x00" raise ValueError, and a number past the
        column's range overflows, both a 500, on every model of every admin.
        Only a changelist's POST is read here; other forms keep their messages.
        """
        model_admin = getattr(view_func, "model_admin", None)
        url_name = getattr(request.resolver_match, "url_name", None) or ""
        if model_admin is None or request.method != "POST" or not url_name.endswith("_changelist"):
            return None
        pk = model_admin.model._meta.pk
        for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
            try:
                if "\x00" in value:
                    raise ValidationError("NUL")
                pk.clean(value, None)
            except ValidationError:
                return HttpResponseBadRequest("The selected items are not valid: nothing was done.")
        return None
