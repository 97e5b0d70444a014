"""Tables of the knowledge base: sections, topics, references, images, revisions, tags."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from functools import cache

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Prefetch, Q
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager
from taggit.models import TagBase, TaggedItemBase

from topics.links import MkDocsLinks
from topics.markdown import Rendered, render
from topics.models.accounts import display_name
from topics.models.site import ContentQuerySet
from topics.tagging import normalise_tag

SLUG_HELP = _("Lower-case letters, digits and hyphens; part of the page's address.")


class Section(models.Model):
    """A group of topics in the navigation (for example "Key issues")."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True, help_text=SLUG_HELP)
    order = models.PositiveIntegerField(
        default=0, help_text=_("Position among sections and top-level pages.")
    )
    description = models.TextField(blank=True)
    numbered = models.BooleanField(
        default=False, help_text=_("Number this section's topics (as the key issues are).")
    )
    follow_ranking = models.BooleanField(
        default=True,
        help_text=_(
            "Order this section's topics by the latest closed voting round; "
            "untick to keep the manual order."
        ),
    )
    ranking_round = models.ForeignKey(
        "Round",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_(
            "The closed voting round whose result orders this section. Empty: the most "
            "recently closed round (by its own dates) whose candidates are this section's topics."
        ),
    )
    topic_template = models.TextField(
        blank=True,
        help_text=_("Markdown that a proposal of a new topic in this section starts from."),
    )
    is_demo = models.BooleanField(
        default=False,
        editable=False,
        help_text=_("Demo content from load_demo; remove_demo deletes it."),
    )

    objects = ContentQuerySet.as_manager()

    class Meta:
        ordering = ["order", "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("section_detail", kwargs={"slug": self.slug})


class Tag(TagBase):
    """A tag; names are stored normalised and unique whatever their case."""

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [models.UniqueConstraint(Lower("name"), name="tag_name_ci_unique")]

    def save(self, *args, **kwargs):
        self.name = normalise_tag(self.name)
        return super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("tag_detail", kwargs={"slug": self.slug})


class TaggedTopic(TaggedItemBase):
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="tagged_topics")
    content_object = models.ForeignKey("Topic", on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="tagged_topic_unique")
        ]


def review_cutoff():
    """The rule for *due for review*: not confirmed by an editor (nor changed) since this
    moment, KB_REVIEW_PERIOD_DAYS ago."""
    return timezone.now() - timedelta(days=settings.KB_REVIEW_PERIOD_DAYS)


class TopicQuerySet(ContentQuerySet):
    def published(self) -> TopicQuerySet:
        return self.filter(status=Topic.Status.PUBLISHED)

    def due_for_review(self) -> TopicQuerySet:
        """Published topics due for review (review_cutoff), the longest unreviewed first."""
        return (
            self.published()
            .annotate(reviewed=Coalesce("last_reviewed_at", "updated_at"))
            .filter(reviewed__lt=review_cutoff())
            .order_by("reviewed")
        )

    def in_nav_order(self) -> TopicQuerySet:
        return self.order_by("section__order", "order", "title")

    def for_nav(self) -> TopicQuerySet:
        """Just what the navigation needs, for every topic in one query."""
        return self.select_related("section").only(
            "title",
            "slug",
            "nav_title",
            "summary",
            "order",
            "parent_id",
            "section_id",
            "is_home",
            "section__title",
            "section__slug",
            "section__order",
            "section__numbered",
            "section__follow_ranking",
            "section__ranking_round_id",
        )

    def for_list(self) -> TopicQuerySet:
        """Topics shown as a list with their section and tags, in a fixed number of queries."""
        return (
            self.select_related("section")
            .with_tags()
            .defer("body", "body_html", "toc_html", "plain_text", "search_vector")
        )

    def for_page(self) -> TopicQuerySet:
        """Topics as their page shows them: with section and parent, without unshown texts.

        The Markdown source, the search text and the parent's own texts can be many
        times the size of everything the page shows.
        """
        unshown = ("body", "plain_text", "search_vector")
        return self.select_related("section", "parent").defer(
            *unshown,
            *(f"parent__{name}" for name in (*unshown, "body_html", "toc_html", "summary")),
            "section__description",
            "section__topic_template",
        )

    def with_tags(self) -> TopicQuerySet:
        """Each topic's tags in `tag_list`, for every topic in one query.

        Through `to_attr`: prefetching into the manager's cache costs a queryset
        built per topic (taggit), about as much as the query itself at 20 topics.
        """
        return self.prefetch_related(Prefetch("tags", to_attr="tag_list"))


class Topic(models.Model):
    """A long-form article: the published text of a subject the community curates."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True, help_text=SLUG_HELP)
    section = models.ForeignKey(
        Section,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="topics",
        help_text=_("Empty for a top-level page."),
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text=_("For a sub-page: the topic it belongs under."),
    )
    order = models.PositiveIntegerField(default=0)
    nav_title = models.CharField(
        max_length=200, blank=True, help_text=_("Shorter title for the navigation, if any.")
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.PUBLISHED)
    is_home = models.BooleanField(
        default=False, help_text=_("Show this topic as the introduction on the home page.")
    )
    summary = models.TextField(blank=True, validators=[MaxLengthValidator(1000)])
    body = models.TextField(blank=True)
    body_html = models.TextField(blank=True, editable=False)
    toc_html = models.TextField(blank=True, editable=False)
    plain_text = models.TextField(blank=True, editable=False)
    search_vector = SearchVectorField(null=True, editable=False)
    source_path = models.CharField(
        max_length=300,
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text=_("Path of the Markdown file this topic was imported from (docs/…)."),
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    current_revision = models.ForeignKey(
        "Revision",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text=_("The revision readers see."),
    )
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    last_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposed_topics",
        help_text=_("Who proposed this topic, if anyone."),
    )
    references = models.ManyToManyField(
        "Reference", through="Citation", related_name="topics", blank=True
    )
    tags = TaggableManager(through=TaggedTopic, blank=True)
    is_demo = models.BooleanField(
        default=False,
        editable=False,
        help_text=_("Demo content from load_demo; remove_demo deletes it."),
    )

    objects = TopicQuerySet.as_manager()

    class Meta:
        ordering = ["section__order", "order", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_home"], condition=Q(is_home=True), name="topic_single_home"
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="topic_not_own_parent"
            ),
        ]
        indexes = [models.Index(fields=["status", "section", "order"])]
        permissions = [
            ("view_draft", "Can read draft topics"),
            ("confirm_review", "Can confirm that a topic is up to date"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        """Save; a new slug keeps the old address working (OldTopicAddress)."""
        old = getattr(self, "_stored_slug", None)
        super().save(*args, **kwargs)
        if old and old != self.slug:
            OldTopicAddress.objects.filter(slug=self.slug).delete()  # the new one is live
            OldTopicAddress.objects.update_or_create(slug=old, defaults={"topic": self})
        self._stored_slug = self.slug

    def get_absolute_url(self) -> str:
        return reverse("topic_detail", kwargs={"slug": self.slug})

    @classmethod
    def from_db(cls, db, field_names, values):
        topic = super().from_db(db, field_names, values)
        topic._stored_slug = topic.__dict__.get("slug")  # to keep the old address on a rename
        return topic

    @property
    def reviewed_at(self):
        """When an editor last confirmed the text (its last update if never)."""
        return self.last_reviewed_at or self.updated_at

    @property
    def is_due_for_review(self) -> bool:
        """Published and not reviewed since review_cutoff (the rule's one home)."""
        return self.is_published and self.reviewed_at < review_cutoff()

    @property
    def is_published(self) -> bool:
        return self.status == Topic.Status.PUBLISHED

    @property
    def is_draft(self) -> bool:
        return self.status == Topic.Status.DRAFT

    @property
    def is_proposal(self) -> bool:
        """A draft never published: a stakeholder's proposal, waiting for its first review.

        A topic a maintainer set back to draft is not: it has a published text (its
        current revision), which suggestions are merged with and which stays a draft
        until a maintainer publishes it again.
        """
        return self.status == Topic.Status.DRAFT and self.current_revision_id is None

    def is_unpublished_proposal_of(self, user) -> bool:
        """A proposal of `user`'s: its text follows their revisions until it is reviewed."""
        return self.is_proposal and user is not None and self.proposed_by_id == user.pk

    def clean(self) -> None:
        """A topic is never its own ancestor, and a closed round's candidate keeps its slug."""
        super().clean()
        seen: set[int] = set()
        ancestor = self.parent
        while ancestor is not None and ancestor.pk not in seen:
            if self.pk is not None and ancestor.pk == self.pk:
                raise ValidationError(
                    {"parent": _("A topic cannot be placed under itself or one of its sub-pages.")}
                )
            seen.add(ancestor.pk)
            ancestor = ancestor.parent
        if self.pk is not None:
            from topics.models.voting import closed_rounds_holding

            stored = getattr(self, "_stored_slug", None)  # as loaded (from_db)
            rounds = closed_rounds_holding([self]) if stored not in (None, self.slug) else None
            if rounds and rounds.exists():
                raise ValidationError(
                    {
                        "slug": _(
                            "This topic is a candidate of the closed round “%(round)s”: its "
                            "slug is in the round's results and published ballot file, which "
                            "are final. Keep the slug “%(slug)s”."
                        )
                        % {"round": rounds.first().title, "slug": stored}
                    }
                )

    def visible_to(self, user) -> bool:
        """Readers see published topics; drafts only their proposer and editors."""
        if self.status == Topic.Status.PUBLISHED:
            return True
        if not user.is_authenticated:
            return False
        return user.pk == self.proposed_by_id or user.has_perm("topics.view_draft")

    @property
    def legacy_path(self) -> str | None:
        """The MkDocs URL path this topic was served at before import, if any."""
        return legacy_path_for(self.source_path) if self.source_path else None

    def render(self, links: dict[str, str] | None = None) -> Rendered:
        """Render the body, resolving relative links as MkDocs would."""
        return render(self.body, resolve_link=self._link_resolver(links))

    def _link_resolver(self, links: dict[str, str] | None) -> MkDocsLinks:
        if links is None:
            # One query, and only when the body can link to another page.
            links = source_path_urls() if ".md" in self.body else {}
        # The page's own path: links MkDocs leaves alone resolve from its URL, as in a browser.
        return MkDocsLinks.for_page(
            self.source_path or None,
            pages=links,
            media_prefix=f"{settings.MEDIA_URL}{IMPORTED_MEDIA_DIR}/",
        )


def legacy_path_for(source_path: str) -> str:
    """MkDocs' directory URL for a docs/ file: "a/b.md" -> "a/b/", "a/index.md" -> "a/"."""
    stem = source_path.removesuffix(".md")
    if stem == "index" or stem.endswith("/index"):
        stem = stem.removesuffix("index").rstrip("/")
    return f"{stem}/" if stem else ""


def source_path_urls() -> dict[str, str]:
    """Map each imported file path to its topic's URL (one query)."""
    rows = Topic.objects.exclude(source_path=None).values_list("source_path", "slug")
    return {path: reverse("topic_detail", kwargs={"slug": slug}) for path, slug in rows}


IMPORTED_MEDIA_DIR = "kb"


class OldTopicAddress(models.Model):
    """A slug a topic had before a maintainer renamed it: its addresses redirect to the topic.

    Readers' bookmarks, links from other sites and feeds keep working for years
    (topics.middleware.OldTopicAddressMiddleware answers each with a 301).
    """

    slug = models.SlugField(max_length=100, unique=True)
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="old_addresses")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "old topic addresses"

    def __str__(self) -> str:
        return f"/topics/{self.slug}/ → /topics/{self.topic.slug}/"


class ReferenceQuerySet(ContentQuerySet):
    def citing_topics(self) -> defaultdict[int, list[tuple[str, str]]]:
        """Each of these references' published citing topics, as (title, slug) by title.

        Plain values in one query: lists of thousands of references are built
        from it, where a model instance per topic and citation would cost more
        than the rest of the list.
        """
        citing = defaultdict(list)
        rows = (
            Citation.objects.filter(
                reference__in=self.values("pk"), topic__status=Topic.Status.PUBLISHED
            )
            .order_by("topic__title", "topic_id")
            .values_list("reference_id", "topic__title", "topic__slug")
        )
        for reference, title, slug in rows:
            citing[reference].append((title, slug))
        return citing

    def cited_by(self, topic) -> ReferenceQuerySet:
        """The references `topic` cites, in the order pages list them."""
        cited = self.filter(citations__topic=topic).only("url", "title", "kind")
        return cited.order_by("kind", "title")

    def cited(self) -> ReferenceQuerySet:
        return self.filter(topics__status=Topic.Status.PUBLISHED).distinct()


class Reference(models.Model):
    """A source cited by topics: one row per distinct URL."""

    class Kind(models.TextChoices):
        PEP = "pep", _("PEP")
        ISSUE = "issue", _("Issue or pull request")
        FORUM = "forum", _("Forum thread")
        BLOG = "blog", _("Blog post")
        TALK = "talk", _("Talk or podcast")
        DOCS = "docs", _("Documentation")
        PAPER = "paper", _("Paper")
        BOOK = "book", _("Book")
        ARTICLE = "article", _("Article")
        PROJECT = "project", _("Project or package")
        OTHER = "other", _("Other")

    url = models.URLField("web address", max_length=1000, unique=True)
    title = models.CharField(max_length=500)
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.OTHER, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "title"]

    def __str__(self) -> str:
        return self.title

    @property
    def kind_label(self) -> str:
        # get_kind_display() re-hashes every lazy choice label on each call; Kind.values
        # builds its list on each call too.
        return _kind_labels().get(self.kind, self.kind)


@cache
def _kind_labels() -> dict[str, str]:
    """Each reference kind's label (lazy: translated when shown)."""
    return dict(Reference.Kind.choices)


class Citation(models.Model):
    """A topic citing a reference (the link text it used)."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="citations")
    reference = models.ForeignKey(Reference, on_delete=models.CASCADE, related_name="citations")
    text = models.CharField(max_length=500, blank=True)
    context = models.TextField(
        blank=True, help_text=_("The sentence of the body the link is in (for a link like 'here').")
    )
    from_body = models.BooleanField(
        default=True,
        help_text=_("Linked from the body (kept in step with it), or added by an editor."),
    )

    objects = ContentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["topic", "reference"], name="citation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.topic} cites {self.reference}"


class Image(models.Model):
    """An image shown in topics: imported with a site, or uploaded through the editor."""

    file = models.ImageField(upload_to="uploads/", max_length=300)
    source_path = models.CharField(
        max_length=300,
        null=True,
        blank=True,
        unique=True,
        help_text=_("Path in the imported docs/ folder, if imported."),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ContentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.source_path or self.file.name


class RevisionQuerySet(ContentQuerySet):
    def visible_to(self, user) -> RevisionQuerySet:
        """Readers see what was published; editors everything; authors their own too."""
        if user.has_perm("topics.review_revision"):
            return self
        shown = Q(status=Revision.Status.PUBLISHED)
        if user.is_authenticated:
            shown |= Q(author=user)
        return self.filter(shown)


class Revision(models.Model):
    """One stored version of a topic's text, with who wrote it, when and why."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Pending review")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Rejected")
        SUPERSEDED = "superseded", _("Superseded by a newer version")

    OPEN_STATUSES = (Status.PENDING, Status.CHANGES_REQUESTED)

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="revisions")
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    body = models.TextField(blank=True)
    tags = models.CharField(max_length=1000, blank=True, help_text=_("Comma-separated tags."))
    status = models.CharField(max_length=20, choices=Status, default=Status.PUBLISHED)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="revisions",
    )
    author_name = models.CharField(
        max_length=200, blank=True, help_text=_("For imported history: the original author.")
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    message = models.CharField(max_length=500, blank=True)
    commit = models.CharField(max_length=64, blank=True, help_text=_("Imported commit id."))
    based_on = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The published revision this one was written from."),
    )
    replaces = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The earlier version of this suggestion, when its author revised it."),
    )

    objects = RevisionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = "created_at"
        permissions = [
            ("review_revision", "Can review suggested changes"),
            ("publish_revision", "Can publish revisions"),
            ("restore_revision", "Can restore old revisions"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "commit"], condition=~Q(commit=""), name="revision_commit_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} @ {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        """Waiting for an editor (pending, or sent back for changes)."""
        return self.status in Revision.OPEN_STATUSES

    @property
    def is_pending(self) -> bool:
        return self.status == Revision.Status.PENDING

    @property
    def can_be_restored(self) -> bool:
        """Once published, and not the text readers see now."""
        published = self.status == Revision.Status.PUBLISHED
        return published and self.pk != self.topic.current_revision_id

    @property
    def author_display(self) -> str:
        if self.author_id:
            return display_name(self.author)
        return self.author_name or _("unknown")
