"""The Markdown editor's endpoints: preview and image upload, for signed-in users only."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import format_html
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from topics.markdown import MarkdownError, RenderTooSlow, render
from topics.services import images

# Previews that ran past the render budget before a user's previews pause.
SLOW_PREVIEWS_ALLOWED = 3
SLOW_PREVIEW_PAUSE_SECONDS = 10 * 60


@require_POST
@login_required
@ratelimit(key="user", rate="120/m", block=True)
def markdownify(request: HttpRequest) -> HttpResponse:
    """Render the editor's text exactly as it would be published.

    A text that runs past the render budget holds a worker for that long, so
    after a few of those the user's previews pause for a while.
    """
    slow_key = f"preview:slow:{request.user.pk}"
    if (cache.get(slow_key) or 0) >= SLOW_PREVIEWS_ALLOWED:
        return _preview_error(
            "Preview is paused for a few minutes: several of your texts took too long to "
            "render. Your text is unchanged; split very long runs of the same markup."
        )
    try:
        return HttpResponse(render(request.POST.get("content", "")).html)
    except RenderTooSlow as exc:
        cache.add(slow_key, 0, SLOW_PREVIEW_PAUSE_SECONDS)
        try:
            cache.incr(slow_key)
        except ValueError:  # expired in between
            cache.set(slow_key, 1, SLOW_PREVIEW_PAUSE_SECONDS)
        return _preview_error(str(exc))
    except MarkdownError as exc:
        return _preview_error(str(exc))


def _preview_error(message: str) -> HttpResponse:
    return HttpResponse(format_html('<p class="render-error">{}</p>', message))


@require_POST
@login_required
@ratelimit(key="user", rate="30/h", block=True)
def upload_image(request: HttpRequest) -> JsonResponse:
    """Store an uploaded image after checking it from its bytes; answer markdownx's JSON."""
    upload = request.FILES.get("image")
    if upload is None:
        return JsonResponse({"image": ["Choose an image to upload."]}, status=400)
    limit = settings.MARKDOWNX_UPLOAD_MAX_SIZE
    if upload.size > limit:
        # Refused before reading: a worker never holds an oversized upload in memory.
        message = (
            f"The image is too large: {upload.size / 1e6:.1f} MB, at most {limit / 1e6:.1f} MB."
        )
        return JsonResponse({"image": [message]}, status=400)
    try:
        image = images.store_upload(data=upload.read(), by=request.user)
    except ValidationError as exc:
        return JsonResponse({"image": exc.messages}, status=400)
    return JsonResponse({"image_code": f"![]({image.file.url})"})
