"""Permission checks for views: anonymous users are sent to sign in, others get 403."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

REVIEW = "topics.review_revision"
PUBLISH = "topics.publish_revision"
RESTORE = "topics.restore_revision"
CONFIRM_REVIEW = "topics.confirm_review"
VERIFY = "topics.verify_stakeholder"
SUGGEST = "topics.add_revision"
FEEDBACK = "topics.add_feedback"
SUGGEST_REFERENCE = "topics.add_referencesuggestion"
FOLLOW = "topics.add_topicfollow"


def require(*permissions: str):
    """Decorate a view: sign-in first, then every permission in `permissions`."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perms(permissions):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
