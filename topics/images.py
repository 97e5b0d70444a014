"""Checking and storing uploaded images: trust the bytes, never the client."""

from __future__ import annotations

import io
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image as PILImage
from PIL import UnidentifiedImageError

# Pillow format name -> (file extension, save options). No SVG: it can carry script.
ALLOWED_FORMATS = {
    "PNG": ("png", {"optimize": True}),
    "JPEG": ("jpg", {"quality": 90}),
    "GIF": ("gif", {}),
    "WEBP": ("webp", {"quality": 90}),
}
MAX_PIXELS = 25_000_000


def clean_upload(data: bytes) -> ContentFile:
    """Re-encode an uploaded image under a new random name, or raise ValidationError."""
    limit = settings.MARKDOWNX_UPLOAD_MAX_SIZE
    if len(data) > limit:
        raise ValidationError(
            _("The image is too large: %(size).1f MB, at most %(limit).1f MB.")
            % {"size": len(data) / 1e6, "limit": limit / 1e6}
        )
    try:
        with PILImage.open(io.BytesIO(data)) as probe:
            probe.verify()
        image = PILImage.open(io.BytesIO(data))
        if image.format not in ALLOWED_FORMATS:
            raise ValidationError(
                _("Only PNG, JPEG, GIF and WebP images are accepted, not %(format)s.")
                % {"format": image.format}
            )
        if image.width * image.height > MAX_PIXELS:
            raise ValidationError(_("The image has too many pixels."))
        extension, options = ALLOWED_FORMATS[image.format]
        image.load()
        if image.format == "JPEG" and image.mode not in {"RGB", "L"}:
            image = image.convert("RGB")
        output = io.BytesIO()
        # Re-encoding drops anything that is not pixels (metadata, trailing payloads).
        image.save(output, format=image.format, **options)
    except ValidationError:
        raise
    except PILImage.DecompressionBombError as exc:
        raise ValidationError(_("The image has too many pixels.")) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            _("This file is not an image we accept (PNG, JPEG, GIF or WebP).")
        ) from exc
    return ContentFile(output.getvalue(), name=f"{uuid.uuid4().hex}.{extension}")
