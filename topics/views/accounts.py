"""Accounts: sign up as a stakeholder, edit the profile, see one's contributions."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from topics.forms import ProfileForm, SignupForm
from topics.models import Feedback, Profile, ReferenceSuggestion, ReviewEvent, Revision, TopicFollow
from topics.services import accounts


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate="10/h", method="POST", block=True)
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("account_contributions")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()
            accounts.sign_up(
                user=user,
                display_name=form.cleaned_data["display_name"],
                affiliation=form.cleaned_data["affiliation"],
                group=form.cleaned_data["group"],
            )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request, "Welcome! An editor will verify your account so your votes count."
        )
        return redirect("account_contributions")
    return render(request, "registration/signup.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
@ratelimit(key="user", rate="30/h", method="POST", block=True)
def profile_edit(request: HttpRequest) -> HttpResponse:
    profile, _ = Profile.objects.get_or_create(
        user=request.user, defaults={"display_name": request.user.get_username()}
    )
    form = ProfileForm(request.POST or None, instance=Profile.objects.get(pk=profile.pk))
    if request.method == "POST" and form.is_valid():
        change = accounts.change_profile(
            profile=profile,
            by=request.user,
            **{name: form.cleaned_data[name] for name in form.Meta.fields},
        )
        if change.needs_verification_again:
            messages.warning(request, "You changed your group: an editor will verify you again.")
        messages.success(request, "Your profile is saved.")
        return redirect("account_contributions")
    return render(request, "accounts/profile.html", {"form": form, "profile": profile})


@login_required
def my_contributions(request: HttpRequest) -> HttpResponse:
    """Everything the user submitted, with its status and the editors' comments."""
    user = request.user
    events = ReviewEvent.objects.select_related("actor").order_by("created_at")
    revisions = (
        Revision.objects.filter(author=user)
        .exclude(status=Revision.Status.PUBLISHED, events=None)
        .select_related("topic")
        .prefetch_related(Prefetch("events", queryset=events))
        .defer("body")
        .order_by("-created_at")
    )
    context = {
        "profile": Profile.objects.filter(user=user).select_related("group").first(),
        "revisions": revisions,
        "feedback": Feedback.objects.filter(author=user).select_related("topic"),
        "suggestions": ReferenceSuggestion.objects.filter(author=user).select_related("topic"),
        "follows": TopicFollow.objects.filter(user=user).select_related("topic"),
    }
    return render(request, "accounts/contributions.html", context)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's view, with the link in the email built from KB_SITE_URL.

    Django builds it from the request's Host header, which any allowed host
    (and port) can set: a reset link pointing elsewhere would hand the token over.
    """

    def form_valid(self, form):
        site = urlsplit(settings.KB_SITE_URL)
        form.save(
            domain_override=site.netloc,
            use_https=site.scheme == "https",
            extra_email_context={"site_name": settings.KB_SITE_NAME},
            token_generator=self.token_generator,
            from_email=self.from_email,
            email_template_name=self.email_template_name,
            subject_template_name=self.subject_template_name,
            html_email_template_name=self.html_email_template_name,
            request=self.request,
        )
        return redirect(self.get_success_url())


def reset_email(group: str, request: HttpRequest) -> str:
    """The typed address, case-folded, so one mailbox gets few reset emails an hour."""
    return request.POST.get("email", "").strip().casefold()


# It sends email to whatever address is typed: limited per sender and per recipient.
password_reset = ratelimit(group="password-reset", key="ip", rate="10/h", method="POST")(
    ratelimit(group="password-reset-email", key=reset_email, rate="5/h", method="POST")(
        PasswordResetView.as_view()
    )
)
