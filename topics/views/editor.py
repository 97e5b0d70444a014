"""The Markdown editor's endpoints: preview and image upload, for signed-in users only."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from topics.images import clean_upload
from topics.markdown import markdownify as render_preview
from topics.models import Image


@require_POST
@login_required
@ratelimit(key="user", rate="120/m", block=True)
def markdownify(request: HttpRequest) -> HttpResponse:
    """Render the editor's text exactly as it would be published."""
    return HttpResponse(render_preview(request.POST.get("content", "")))


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
        cleaned = clean_upload(upload.read())
    except ValidationError as exc:
        return JsonResponse({"image": exc.messages}, status=400)
    image = Image(uploaded_by=request.user)
    image.file.save(cleaned.name, cleaned, save=True)
    return JsonResponse({"image_code": f"![]({image.file.url})"})
