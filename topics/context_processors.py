"""Values every page template needs."""

from django.conf import settings


def site(request):
    """The site's name, for the header and the title of every page."""
    return {"site_name": settings.KB_SITE_NAME}
