"""Serving stored images (imported and uploaded) in every environment."""

import posixpath

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from topics.importers.mkdocs import guess_type
from topics.models import Image


@require_safe
def serve_media(request: HttpRequest, name: str) -> FileResponse:
    """Send a stored image; only files that belong to an Image row are served."""
    name = posixpath.normpath(name).lstrip("/")
    if name.startswith("..") or not Image.objects.filter(file=name).exists():
        raise Http404("No such image.")
    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError as exc:
        raise Http404("No such image.") from exc
    response = FileResponse(handle, content_type=guess_type(name))
    patch_cache_control(response, public=True, max_age=86400)
    response["X-Content-Type-Options"] = "nosniff"
    # An imported SVG is maintainer content, but it must never run script here.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response
