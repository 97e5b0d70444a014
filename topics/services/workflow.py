"""The editorial workflow: suggest, review, publish, restore. Every write is one transaction.

A topic always shows its published revision (`Topic.current_revision`);
suggestions are revisions beside it. Publishing locks the topic row and
checks that the suggestion was written from the text now published, so a
newer text is never silently overwritten, and two editors publishing at
once cannot both win.
"""

from __future__ import annotations

import time
from dataclasses import astuple, dataclass

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from topics import permissions
from topics.diffing import DIFF_CACHE_SECONDS, normalise_newlines, text_digest
from topics.markdown import MarkdownError
from topics.merging import MERGE_BUDGET, has_conflict_markers, merge_line, merge_tags, merge_texts
from topics.models import ReviewEvent, Revision, Section, Topic
from topics.services.content import free_slug, save_topic
from topics.services.notifications import (
    notify_author,
    notify_editors_of_revision,
    notify_followers,
)


class WorkflowError(Exception):
    """A request the workflow cannot carry out; the message says why."""


class InvalidTransition(WorkflowError):
    """The revision is not in a state that allows this (for example: already published)."""


class Conflict(WorkflowError):
    """The suggestion was written from a text that is no longer the published one."""


class NotAllowed(WorkflowError):
    """The user may not do this."""


class UnresolvedConflict(WorkflowError):
    """A merged text still holds conflict markers."""


class Unrenderable(WorkflowError):
    """The text cannot be rendered within the renderer's budget; nothing was published."""


class PublishedMeanwhile(WorkflowError):
    """The published text changed after the editor's page was built from it; nothing was done.

    `seen` is the revision the page showed (None: the topic had none, or the
    page did not say), `current` the one published now.
    """

    def __init__(self, message: str, *, seen: int | None, current: Revision | None):
        super().__init__(message)
        self.seen, self.current = seen, current


def check_unchanged(topic: Topic, seen: int | None) -> None:
    """Raise PublishedMeanwhile unless `topic` (locked) still publishes revision `seen`.

    Pages that publish a text an editor composed against the published one (a
    merge, a restore, the admin's form) carry the revision they were built from,
    so a change published in between is never overwritten unseen.
    """
    if topic.current_revision_id == seen:
        return
    current = topic.current_revision
    who = current.author_display if current else ""
    raise PublishedMeanwhile(
        "Another version was published while you were working on this"
        + (f" (#{current.pk}, by {who})" if current and who else "")
        + ": nothing was published. Check what it changed, then try again.",
        seen=seen,
        current=current,
    )


@dataclass(frozen=True)
class Text:
    """What a revision says."""

    title: str
    summary: str
    body: str
    tags: str = ""

    @classmethod
    def of(cls, revision: Revision) -> Text:
        return cls(revision.title, revision.summary, revision.body, revision.tags)

    @classmethod
    def of_topic(cls, topic: Topic) -> Text:
        """What `topic` says as stored now (its tags as sorted names)."""
        from topics.tagging import tags_string

        tags = tags_string(tag.name for tag in topic.tags.all())
        return cls(topic.title, topic.summary, topic.body, tags)

    def says_the_same_as(self, other: Text) -> bool:
        """Equal but for what a form changes on its own: newlines at the ends, a title's
        runs of spaces, tag order."""
        return (
            self.title.split() == other.title.split()
            and self.summary.strip() == other.summary.strip()
            and normalise_newlines(self.body).strip() == normalise_newlines(other.body).strip()
            and set(_tag_names(self.tags)) == set(_tag_names(other.tags))
        )

    def as_typed_over(self, base: Text | None) -> Text:
        """This text, written over `base`, with what a form changed on its own put back.

        Not changes to merge: the last newline a field that strips its ends
        dropped (the admin's, on pages opened before it kept them), and the spaces
        the title field collapses (an imported title may hold two in a row). Left
        in, each merged as an edit, and as a conflict with anyone who changed the
        same line meanwhile.
        """
        if base is None:
            return self
        title, body = self.title, self.body
        if title != base.title and title.split() == base.title.split():
            title = base.title
        if base.body.endswith("\n") and not body.endswith("\n"):
            body += "\n"
        return Text(title, self.summary, body, self.tags)


def check_allowed(by, permission: str, doing: str) -> None:
    """Raise NotAllowed unless `by` holds `permission` (None is the system: imports, commands).

    Every service that needs a role checks it itself, so the site, the admin
    and any script agree on who may do what.
    """
    if by is not None and not by.has_perm(permission):
        raise NotAllowed(f"You may not {doing}.")


def _event(revision: Revision, by, action: str, comment: str = "") -> ReviewEvent:
    return ReviewEvent.objects.create(revision=revision, actor=by, action=action, comment=comment)


def _write(
    topic: Topic, author, text: Text, *, message: str, status=Revision.Status.PENDING, **links
) -> Revision:
    """A new revision of `topic` saying `text` (`links`: based_on, replaces, author_name)."""
    return Revision.objects.create(
        topic=topic,
        author=author,
        status=status,
        message=message,
        title=text.title,
        summary=text.summary,
        body=text.body,
        tags=text.tags,
        **links,
    )


def _submitted(revision: Revision, by, action: str = ReviewEvent.Action.SUBMITTED) -> Revision:
    """Record that `revision` waits for review, and tell the editors."""
    notify_editors_of_revision(revision=revision, event=_event(revision, by, action))
    return revision


def _slug_for_title(title: str) -> str:
    return free_slug(slugify(title)[:90] or "topic")


@transaction.atomic
def propose_topic(*, author, section: Section | None, text: Text, message: str) -> Revision:
    """Create a draft topic and its first revision, waiting for review."""
    topic = Topic(
        title=text.title,
        slug=_slug_for_title(text.title),
        section=section,
        summary=text.summary,
        body=text.body,
        status=Topic.Status.DRAFT,
        proposed_by=author,
        order=(section.topics.count() + 1) if section else 0,
    )
    save_topic(topic=topic)
    return _submitted(_write(topic, author, text, message=message), author)


@transaction.atomic
def suggest_edit(
    *, author, topic: Topic, base: Revision | None, text: Text, message: str
) -> Revision:
    """Store a suggested change to `topic`, written from the published revision `base`."""
    if base is not None and base.topic_id != topic.pk:
        raise WorkflowError("That revision belongs to another topic.")
    return _submitted(_write(topic, author, text, message=message, based_on=base), author)


@transaction.atomic
def revise(*, revision: Revision, by, text: Text, message: str) -> Revision:
    """The author answers "changes requested" with a new version; the old one is kept."""
    revision = Revision.objects.select_for_update().get(pk=revision.pk)
    if revision.author_id != by.pk:
        raise NotAllowed("Only the author can revise a suggestion.")
    if revision.status not in Revision.OPEN_STATUSES:
        raise InvalidTransition(
            f"This suggestion is {revision.get_status_display().lower()}; it cannot be revised."
        )
    new = _write(
        revision.topic, by, text, message=message, based_on=revision.based_on, replaces=revision
    )
    revision.status = Revision.Status.SUPERSEDED
    revision.save(update_fields=["status"])
    if revision.topic.is_unpublished_proposal_of(by):
        _update_draft(revision.topic, new)
    return _submitted(new, by, ReviewEvent.Action.RESUBMITTED)


def _update_draft(topic: Topic, revision: Revision) -> None:
    """A draft topic shows its latest proposal to those who may see it."""
    topic.title, topic.summary, topic.body = revision.title, revision.summary, revision.body
    save_topic(topic=topic)


def _lock_open(revision: Revision) -> Revision:
    locked = (
        Revision.objects.select_for_update(of=("self",))
        .select_related("topic", "author")
        .get(pk=revision.pk)
    )
    if locked.status not in Revision.OPEN_STATUSES:
        raise InvalidTransition(
            f"This revision is already {locked.get_status_display().lower()}; nothing was changed."
        )
    return locked


def _answer(revision: Revision, by, *, status: str, action: str, text: str) -> Revision:
    """Record an editor's answer to an open suggestion and tell its author."""
    revision = _lock_open(revision)
    revision.status = status
    revision.save(update_fields=["status"])
    notify_author(revision=revision, event=_event(revision, by, action, text))
    return revision


@transaction.atomic
def request_changes(*, revision: Revision, by, comment: str) -> Revision:
    """Send a suggestion back to its author with what to change."""
    check_allowed(by, permissions.REVIEW, "review suggestions")
    if not comment.strip():
        raise WorkflowError("Say what should change: the author sees your comment.")
    return _answer(
        revision,
        by,
        status=Revision.Status.CHANGES_REQUESTED,
        action=ReviewEvent.Action.CHANGES_REQUESTED,
        text=comment,
    )


@transaction.atomic
def reject_revision(*, revision: Revision, by, reason: str) -> Revision:
    """Decline a suggestion, with the reason its author will read."""
    check_allowed(by, permissions.REVIEW, "review suggestions")
    if not reason.strip():
        raise WorkflowError("Give a reason: the author sees it.")
    return _answer(
        revision,
        by,
        status=Revision.Status.REJECTED,
        action=ReviewEvent.Action.REJECTED,
        text=reason,
    )


def merge_with_published(revision: Revision) -> tuple[Text, int]:
    """Three-way merge of a suggestion with the text published since its base.

    Returns the merged text (conflicts between markers) and the number of conflicts.
    """
    base = Text.of(revision.based_on) if revision.based_on else None
    return merge(base, Text.of(revision.topic.current_revision), Text.of(revision))


def merge(
    base: Text | None, published: Text, suggested: Text, *, label: str = "suggestion"
) -> tuple[Text, int]:
    """Three-way merge of two texts written from `base` (None: from nothing).

    Returns the merged text (conflicts between markers, the suggested side named
    `label`) and the number of conflicts.
    """
    old = base or Text("", "", "", "")
    # Kept in the cache like diffs: the review and merge pages show the same merge again
    # and again, and a large one takes up to its deadline (0.5 s) to compute.
    texts = (*astuple(old), *astuple(published), *astuple(suggested), label)
    key = f"merge:v2:{text_digest(*texts)}"
    stored = cache.get(key)
    if stored is None:
        started = time.monotonic()
        results = {
            "title": merge_line(old.title, published.title, suggested.title, label=label),
            "summary": merge_texts(old.summary, published.summary, suggested.summary, label=label),
            "body": merge_texts(old.body, published.body, suggested.body, label=label),
            "tags": merge_tags(old.tags, published.tags, suggested.tags),
        }
        stored = (
            tuple(result.text for result in results.values()),
            sum(result.conflicts for result in results.values()),
        )
        # Near its deadline a merge is coarser (more conflicts): not kept, tried afresh.
        if time.monotonic() - started < MERGE_BUDGET * 0.8:
            cache.set(key, stored, DIFF_CACHE_SECONDS)
    return Text(*stored[0]), stored[1]


def merge_published_meanwhile(
    *, topic: Topic, seen: int | None, text: Text, opened: Text | None = None
) -> tuple[Text, int, Revision | None, Revision | None]:
    """`text`, written against published revision `seen`, merged with what was published
    since (after PublishedMeanwhile), for the editor to check and save again.

    `opened` is the text the page was opened on, the base when no revision was
    published then (a draft published meanwhile). Returns the merged text (the
    editor's side of a conflict is "your text"), its number of conflicts, the
    revision seen (None if unknown) and the current one.
    """
    current = Topic.objects.get(pk=topic.pk).current_revision
    seen_revision = Revision.objects.filter(pk=seen, topic_id=topic.pk).first() if seen else None
    if current is None:
        return text, 0, seen_revision, None
    base = Text.of(seen_revision) if seen_revision else opened
    merged, conflicts = merge(base, Text.of(current), text.as_typed_over(base), label="your text")
    return merged, conflicts, seen_revision, current


def merge_saved_meanwhile(*, opened: Text, now: Text, text: Text) -> tuple[Text, int] | None:
    """`text`, written over `opened`, merged with `now` if the stored text moved from
    `opened` meanwhile with no revision (a draft's, an archived topic's); None when it did
    not move, or when `text` says what it now says.

    Returns the merged text (the editor's side of a conflict is "your text") and its
    number of conflicts.
    """
    if now.says_the_same_as(opened) or now.says_the_same_as(text):
        return None
    return merge(opened, now, text.as_typed_over(opened), label="your text")


def is_behind(revision: Revision) -> bool:
    """True when the text this suggestion was written from is no longer the published one."""
    topic = revision.topic
    return (
        topic.current_revision_id is not None and revision.based_on_id != topic.current_revision_id
    )


@transaction.atomic
def publish_revision(
    *,
    revision: Revision,
    by,
    note: str = "",
    merged: Text | None = None,
    seen: int | None = None,
) -> Revision:
    """Make `revision` the published text of its topic.

    If another revision was published since the suggestion's base, this raises
    Conflict unless the editor supplies `merged`: the text combining both,
    published as a new revision (credited to the suggestion's author) while
    the suggestion itself is kept, marked as merged. `seen` is the published
    revision the merged text was made from, required with `merged` (None, as
    from a form that lost it, is refused like any other): if another was
    published since, this raises PublishedMeanwhile and publishes nothing.
    """
    check_allowed(by, permissions.PUBLISH, "publish")
    topic = Topic.objects.select_for_update().get(pk=revision.topic_id)
    revision = _lock_open(revision)
    revision.topic = topic
    if merged is not None:
        check_unchanged(topic, seen)
    if is_behind(revision) and merged is None:
        automatic, conflicts = merge_with_published(revision)
        if conflicts:
            raise Conflict(
                f"Another version was published after this suggestion was written, and both "
                f"changed the same lines ({conflicts} conflict{'s' if conflicts > 1 else ''}). "
                "Resolve them and publish the merged text."
            )
        merged = automatic
        note = " ".join(filter(None, ["Merged automatically with the newer text.", note]))
    if merged is not None and any(
        has_conflict_markers(value)
        for value in (merged.title, merged.summary, merged.body, merged.tags)
    ):
        raise UnresolvedConflict(
            "The merged text still holds conflict markers (<<<<<<<, =======, >>>>>>>): "
            "keep the right words from each side and remove the markers."
        )
    if merged is not None:
        # The editor's text is what gets published; the suggestion is kept as written.
        suggestion = revision
        revision = _write(
            topic,
            suggestion.author,
            merged,
            message=suggestion.message or "Merged suggestion",
            author_name=suggestion.author_name,
            based_on=topic.current_revision,
            replaces=suggestion,
        )
        suggestion.status = Revision.Status.SUPERSEDED
        suggestion.save(update_fields=["status"])
        _event(
            suggestion,
            by,
            ReviewEvent.Action.MERGED,
            f"Merged as revision #{revision.pk}. {note}".strip(),
        )
    _apply(topic=topic, revision=revision, by=by)
    event = _event(revision, by, ReviewEvent.Action.PUBLISHED, note)
    notify_author(revision=revision, event=event)
    return revision


def _apply(*, topic: Topic, revision: Revision, by) -> None:
    """Copy a revision onto its topic and make it the published one."""
    now = timezone.now()
    topic.title, topic.summary, topic.body = revision.title, revision.summary, revision.body
    if topic.is_proposal:
        # An accepted proposal goes live. A topic a maintainer unpublished (a draft with a
        # published text) or archived stays so: only a maintainer changes that.
        topic.status = Topic.Status.PUBLISHED
    topic.current_revision = revision
    topic.updated_at = now
    topic.last_reviewed_at, topic.last_reviewed_by = now, by
    try:
        save_topic(topic=topic)
    except MarkdownError as exc:
        raise Unrenderable(f"This text cannot be published: {exc}") from exc
    topic.tags.set(_tag_names(revision.tags))
    revision.status = Revision.Status.PUBLISHED
    revision.save(update_fields=["status"])
    if topic.status == Topic.Status.PUBLISHED:  # an archived topic's followers hear nothing
        notify_followers(topic=topic, revision=revision, exclude_user_id=by.pk if by else None)


def _tag_names(tags: str) -> list[str]:
    from topics.tagging import parse_tags

    return parse_tags(tags)


@transaction.atomic
def restore_revision(*, revision: Revision, by, reason: str, seen: int | None) -> Revision:
    """Publish an old revision's text again, as a new revision (history is never rewritten).

    The editor says why; the reason is the new revision's message and its event's comment.
    `seen` is the published revision the editor compared it with: if another was
    published since, this raises PublishedMeanwhile and restores nothing.
    """
    check_allowed(by, permissions.RESTORE, "restore old versions")
    reason = " ".join(reason.split())
    if not reason:
        raise WorkflowError("Say why the old text should come back: readers see it in the history.")
    topic = Topic.objects.select_for_update().get(pk=revision.topic_id)
    check_unchanged(topic, seen)
    if revision.status != Revision.Status.PUBLISHED:
        raise InvalidTransition("Only a revision that was once published can be restored.")
    if revision.pk == topic.current_revision_id:
        raise InvalidTransition("This revision is already the published text.")
    restored = _write(
        topic,
        by,
        Text.of(revision),
        message=f"Restored the text of {revision.created_at:%Y-%m-%d %H:%M} (#{revision.pk}): "
        f"{reason}"[:500],
        based_on=topic.current_revision,
    )
    _apply(topic=topic, revision=restored, by=by)
    _event(restored, by, ReviewEvent.Action.RESTORED, f"From revision #{revision.pk}: {reason}")
    return restored


@transaction.atomic
def record_direct_edit(
    *, topic: Topic, by, message: str = "Edited in the admin"
) -> Revision | None:
    """Store a maintainer's direct edit (admin) as a published revision, if the text changed."""
    current = topic.current_revision
    text = Text.of_topic(topic)
    if current and Text.of(current).says_the_same_as(text):
        return None  # a save that changed no words (a move, a CRLF text stored as LF)
    revision = _write(
        topic,
        by,
        text,
        message=message,
        status=Revision.Status.PUBLISHED,
        based_on=current,
    )
    Topic.objects.filter(pk=topic.pk).update(
        current_revision=revision, updated_at=revision.created_at
    )
    topic.current_revision = revision
    _event(revision, by, ReviewEvent.Action.EDITED, message)
    if topic.status == Topic.Status.PUBLISHED:
        notify_followers(topic=topic, revision=revision, exclude_user_id=by.pk if by else None)
    return revision


@transaction.atomic
def confirm_reviewed(*, topic: Topic, by) -> Topic:
    """An editor confirms the topic is still accurate today."""
    check_allowed(by, permissions.CONFIRM_REVIEW, "confirm that topics are up to date")
    now = timezone.now()
    Topic.objects.filter(pk=topic.pk).update(last_reviewed_at=now, last_reviewed_by=by)
    topic.last_reviewed_at, topic.last_reviewed_by = now, by
    return topic
