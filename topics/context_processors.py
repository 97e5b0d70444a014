"""Values every page template needs."""

from django.conf import settings


def site(request):
    """The site's name, for the header and the title of every page."""
    return {"kb_site_name": settings.KB_SITE_NAME}
