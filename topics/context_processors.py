"""Values every page template needs."""

from django.utils.functional import SimpleLazyObject

from topics.models import SiteIdentity


def site(request):
    """The site's identity (name, description, attribution, licence), read when a page uses it.

    Pages built from our base template use it in the title, header and
    footer; the admin's pages do not, so they never pay for it.
    """
    identity = SimpleLazyObject(SiteIdentity.current)
    return {
        "site_identity": identity,
        "kb_site_name": SimpleLazyObject(lambda: identity.display_name),
    }
