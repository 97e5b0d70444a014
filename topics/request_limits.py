"""What one request may claim and cost, settled before any other middleware runs.

- Which address the request came from: rate limits (django-ratelimit) and
  sign-in lock-outs (django-axes) key on ``REMOTE_ADDR``. Behind the nginx
  front of ``scripts/start.sh`` gunicorn listens on a private unix socket, so
  the socket has no address; nginx overwrites ``X-Real-IP`` with the client's,
  and only then is that header trusted (``KB_CLIENT_ADDRESS_HEADER``).
- How large its body may be: a body declared larger than
  ``KB_MAX_REQUEST_BYTES`` is refused with 413 before a byte of it is read, so
  no upload handler ever writes it to a temporary file. A body without a
  ``Content-Length`` is never read by Django under WSGI (it sees an empty
  body), and nginx refuses a chunked body as soon as it passes the limit.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest


def forwarded_address(value: str) -> str:
    """The right-most address in a forwarding header: the one our own proxy wrote.

    Entries to its left came from the client and may be forged. Returns "" when
    the header holds no valid address.
    """
    candidate = value.rsplit(",", 1)[-1].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return ""


class ClientAddressMiddleware:
    """Set ``REMOTE_ADDR`` from the header a trusted front overwrites, if one is configured."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        header = settings.KB_CLIENT_ADDRESS_HEADER
        if header:
            key = "HTTP_" + header.upper().replace("-", "_")
            address = forwarded_address(request.META.get(key, ""))
            if address:
                request.META["REMOTE_ADDR"] = address
        return self.get_response(request)


def request_too_large(declared: int) -> HttpResponse:
    """The 413 answer, saying what the limits are."""
    limit = settings.KB_MAX_REQUEST_BYTES
    images = settings.MARKDOWNX_UPLOAD_MAX_SIZE
    message = (
        f"Request too large: {declared / 1e6:.1f} MB sent, this site accepts at most "
        f"{limit / 1e6:.1f} MB in one request (images up to {images / 1e6:.1f} MB).\n"
    )
    return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")


class RequestSizeLimitMiddleware:
    """Refuse a body declared larger than ``KB_MAX_REQUEST_BYTES`` without reading it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponseBadRequest("The Content-Length header is not a number.")
        if declared > settings.KB_MAX_REQUEST_BYTES:
            return request_too_large(declared)
        return self.get_response(request)
