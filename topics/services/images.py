"""Storing images that people upload through the editor."""

from __future__ import annotations

from django.db import transaction

from topics.images import clean_upload
from topics.models import Image


@transaction.atomic
def store_upload(*, data: bytes, by) -> Image:
    """Check an upload from its bytes, re-encode it under a new random name, and keep it.

    Raises ValidationError (with a message for the author) when it is not an
    image we accept.
    """
    cleaned = clean_upload(data)
    image = Image(uploaded_by=by)
    image.file.save(cleaned.name, cleaned, save=True)
    return image
