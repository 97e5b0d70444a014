"""Voting rounds: ranking the candidates, and the results with how sure they are."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe
from django_ratelimit.decorators import ratelimit

from topics import results_page
from topics.importers.ballots import export_ballots_csv
from topics.models import Profile, Round
from topics.services import notifications, voting

RECEIPT_SESSION_KEY = "kb-ballot-receipt"


@require_safe
def round_list(request: HttpRequest) -> HttpResponse:
    rounds = Round.objects.prefetch_related("candidates").order_by("-closes_at")
    return render(request, "voting/round_list.html", {"rounds": rounds})


def _ballot_rows(round_: Round, ranks: dict[int, int | None], typed: dict[int, str] | None):
    """Candidates in ballot order: ranked ones by rank, then the unranked ones by title."""
    topics = list(round_.candidates.only("pk", "title", "slug", "summary").order_by("title"))
    rows = [
        {
            "topic": topic,
            "rank": ranks.get(topic.pk),
            "typed": (typed or {}).get(
                topic.pk, "" if ranks.get(topic.pk) is None else ranks[topic.pk]
            ),
        }
        for topic in topics
    ]
    rows.sort(key=lambda row: (row["rank"] is None, row["rank"] or 0, row["topic"].title.lower()))
    return rows


def _read_ranks(request: HttpRequest, round_: Round):
    """Rank numbers from the form: (ranks, typed values, errors)."""
    topic_ids = list(round_.candidates.values_list("pk", flat=True))
    ranks, typed, errors = {}, {}, []
    for pk in topic_ids:
        value = request.POST.get(f"rank-{pk}", "").strip()
        typed[pk] = value
        if not value:
            ranks[pk] = None
            continue
        try:
            number = int(value)
        except ValueError:
            errors.append(f"“{value}” is not a whole number.")
            continue
        if not 1 <= number <= len(topic_ids):
            errors.append(f"Ranks go from 1 to {len(topic_ids)}; {number} is outside.")
            continue
        ranks[pk] = number
    if not errors and all(rank is None for rank in ranks.values()):
        errors.append("Rank at least one topic.")
    return ranks, typed, errors


@require_http_methods(["GET", "POST"])
@ratelimit(key="user_or_ip", rate="60/h", method="POST", block=True)
def round_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The round, and for a verified stakeholder the ballot (drag-and-drop or rank numbers)."""
    round_ = get_object_or_404(Round, slug=slug)
    user = request.user
    profile = Profile.objects.filter(user=user).first() if user.is_authenticated else None
    eligible = bool(profile and profile.is_verified)
    # A ballot cast before its voter lost verification (a group change) still counts: they
    # are told so, and may change it once verified again.
    ballot = voting.own_ballot(round_=round_, voter=user) if profile else None
    ranks = voting.ranks_from_ranking(ballot.ranking) if ballot else {}
    typed, errors = None, []
    if request.method == "POST":
        if not user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        ranks, typed, errors = _read_ranks(request, round_)
        if not errors:
            try:
                cast = voting.cast_ballot(
                    round_=round_, voter=user, groups=voting.ranking_from_ranks(ranks)
                )
            except voting.VotingError as error:
                errors.append(str(error))
            else:
                notifications.send_receipt(user=user, round_=round_, receipt=cast.receipt)
                # Shown once, on the next page only: the site keeps just its hash.
                request.session[RECEIPT_SESSION_KEY] = {"round": round_.pk, "code": cast.receipt}
                messages.success(
                    request,
                    "Your ballot is saved. You can change it until the round closes.",
                )
                return redirect(round_)
    receipt = None
    shown = request.session.get(RECEIPT_SESSION_KEY) if request.method == "GET" else None
    if shown and shown.get("round") == round_.pk:
        receipt = shown["code"]
        del request.session[RECEIPT_SESSION_KEY]
    context = {
        "round": round_,
        "eligible": eligible,
        "profile": profile,
        "ballot": ballot,
        "rows": _ballot_rows(round_, ranks, typed),
        "errors": errors,
        # With partial results public, a live count would tell which of them is whose.
        "ballot_count": None
        if round_.state == Round.State.OPEN and round_.show_partial_results
        else round_.ballots.count(),
        "receipt": receipt,
    }
    return render(request, "voting/round_detail.html", context, status=400 if errors else 200)


def _results_or_404(request: HttpRequest, slug: str) -> tuple[Round, voting.RoundResults | None]:
    round_ = get_object_or_404(Round, slug=slug)
    if not round_.results_visible():
        raise PermissionDenied("Results are shown when the round closes.")
    return round_, voting.round_results(round_)


@require_safe
def round_results(request: HttpRequest, slug: str) -> HttpResponse:
    round_, results = _results_or_404(request, slug)
    context = {
        "round": round_,
        "results": results,
        "batch": voting.partial_batch(),
        "csv_sha256": ballots_sha256(round_) if round_.is_closed else "",
        "bootstrap_samples": voting.BOOTSTRAP_SAMPLES,
        **(results_page.page_data(results) if results else {}),
    }
    return render(request, "voting/results.html", context)


@require_safe
def ballots_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """The anonymised ballots of a closed round, in the import format."""
    round_ = get_object_or_404(Round, slug=slug)
    if not round_.is_closed:
        raise Http404("Ballots are published when the round closes.")
    response = HttpResponse(ballots_file(round_), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{round_.slug}-ballots.csv"'
    return response


def ballots_file(round_: Round) -> bytes:
    """The published ballots CSV of a closed round: the same bytes every time (cached)."""
    # Ballots imported into a closed round later (import_ballots) make a new file.
    ballots = round_.ballots.aggregate(count=Count("pk"), last=Max("pk"))
    key = f"ballots-csv:v3:{round_.pk}:{round_.closes_at.timestamp()}"
    key += f":{ballots['count']}:{ballots['last']}"
    data = cache.get(key)
    if data is None:
        text = export_ballots_csv(round_, group_names=voting.group_labels(round_))
        data = text.encode("utf-8")
        cache.set(key, data, None)
    return data


def ballots_sha256(round_: Round) -> str:
    return hashlib.sha256(ballots_file(round_)).hexdigest()


@require_safe
def verify(request: HttpRequest) -> HttpResponse:
    """How a voter checks their ballot, and anyone checks the count."""
    return render(request, "voting/verify.html", {"k": settings.KB_VOTING_MIN_GROUP_BALLOTS})
