"""Maintaining tags: merging two names for one subject into one tag."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from topics.models import Tag, TaggedTopic
from topics.page_cache import bump_version
from topics.tagging import normalise_tag, validate_tags


class TagMergeRefused(Exception):
    """The merge cannot happen (no permission, nothing to merge, a bad name)."""


def can_merge_tags(user) -> bool:
    """Merging deletes tags and moves topics between them: it takes both permissions."""
    return bool(user and user.has_perm("topics.change_tag") and user.has_perm("topics.delete_tag"))


@transaction.atomic
def merge_tags(*, tags: list[Tag], into: str = "", by) -> Tag:
    """Give every topic of `tags` one tag and delete the others; return the tag kept.

    `into` names the tag to keep (one of `tags`, another existing tag or a
    new name); without it, the tag with the most topics is kept.
    """
    if not can_merge_tags(by):
        raise TagMergeRefused("Merging tags needs the permissions to change and delete tags.")
    name = normalise_tag(into)
    if name:
        try:
            validate_tags([name])
        except ValidationError as exc:
            raise TagMergeRefused(" ".join(exc.messages)) from exc
    tags = list({tag.pk: tag for tag in tags}.values())
    if len(tags) + bool(name and name not in {t.name for t in tags}) < 2:
        raise TagMergeRefused("Choose at least two tags to merge (or one and a new name).")
    if name:
        kept = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
    else:
        counts = {tag.pk: TaggedTopic.objects.filter(tag=tag).count() for tag in tags}
        kept = min(tags, key=lambda tag: (-counts[tag.pk], tag.name))
    merged = [tag for tag in tags if tag.pk != kept.pk]
    topic_ids = set(
        TaggedTopic.objects.filter(tag__in=merged).values_list("content_object_id", flat=True)
    )
    TaggedTopic.objects.bulk_create(
        [TaggedTopic(tag=kept, content_object_id=topic_id) for topic_id in sorted(topic_ids)],
        ignore_conflicts=True,
    )
    Tag.objects.filter(pk__in=[tag.pk for tag in merged]).delete()
    bump_version()  # bulk_create sends no signal
    return kept
