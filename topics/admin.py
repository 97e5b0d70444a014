"""The Django admin for maintainers: every model, with lists, filters and search."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from taggit.models import Tag as TaggitTag

from topics import roles
from topics.forms import TopicAdminForm
from topics.models import (
    Ballot,
    Citation,
    Feedback,
    Image,
    Input,
    Profile,
    Reference,
    ReferenceSuggestion,
    ReviewEvent,
    Revision,
    Round,
    Section,
    SiteIdentity,
    StakeholderGroup,
    Tag,
    Topic,
    TopicFollow,
)
from topics.models.voting import closed_rounds_holding
from topics.names import validate_username
from topics.services import accounts, contributions, voting, workflow
from topics.services.content import save_topic
from topics.services.tags import TagMergeRefused, can_merge_tags, merge_tags


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "order", "numbered", "follow_ranking", "topic_count"]
    list_editable = ["order", "numbered", "follow_ranking"]
    search_fields = ["title", "slug", "description"]
    prepopulated_fields = {"slug": ["title"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(topic_total=Count("topics"))

    @admin.display(description="topics", ordering="topic_total")
    def topic_count(self, section: Section) -> int:
        return section.topic_total


# An address typed without its scheme is taken as https:// (Django 6's default; 5.2 warns).
HTTPS_ADDRESSES = {models.URLField: {"assume_scheme": "https"}}


class LoadedAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete select, naming the selected object the row already holds
    (`loaded`) instead of asking the database once per row."""

    loaded: models.Model | None = None

    def optgroups(self, name, value, attr=None):
        selected = {str(v) for v in value if str(v) not in self.choices.field.empty_values}
        if self.loaded is None or not self.is_required or selected != {str(self.loaded.pk)}:
            return super().optgroups(name, value, attr)  # another value (a form sent back)
        label = self.choices.field.label_from_instance(self.loaded)
        return [(None, [self.create_option(name, self.loaded.pk, label, selected, 0)], 0)]


class CitationFormSet(forms.BaseInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        widget = getattr(form.fields["reference"].widget, "widget", None)  # inside the +/ links
        if isinstance(widget, LoadedAutocompleteSelect) and form.instance.reference_id:
            widget.loaded = form.instance.reference  # came with the row (get_queryset)
        return form


class CitationInline(admin.TabularInline):
    model = Citation
    formset = CitationFormSet
    extra = 0
    autocomplete_fields = ["reference"]
    readonly_fields = ["text"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("topic", "reference")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "reference":
            kwargs["widget"] = LoadedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class CitedInInline(admin.TabularInline):
    """On a reference's page: each topic citing it, with the link text and the sentence
    around the link, so a maintainer sees how it is used before changing or merging it.
    Kept in step with the bodies, so read-only here."""

    model = Citation
    verbose_name = "citing topic"
    verbose_name_plural = "cited in"
    fields = ["topic", "text", "context", "from_body"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("topic", "reference")
        return queryset.order_by("topic__title")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class RevisionInline(admin.TabularInline):
    model = Revision
    extra = 0
    fields = ["created_at", "author_display", "message", "status"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False
    ordering = ["-created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    form = TopicAdminForm
    list_display = ["title", "slug", "section", "parent", "order", "status", "updated_at"]
    list_filter = ["status", "section", "is_home", ("tags", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title", "slug", "summary", "body"]
    list_select_related = ["section", "parent"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["parent"]
    readonly_fields = ["source_path", "view_on_site_link"]
    date_hierarchy = "updated_at"
    inlines = [CitationInline, RevisionInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "slug",
                    "status",
                    "summary",
                    "body",
                    "tags",
                    "seen",
                    "seen_fields",
                    "seen_text",
                ]
            },
        ),
        (
            "Place in the navigation",
            {"fields": ["section", "parent", "order", "nav_title", "is_home"]},
        ),
        (
            "Dates and origin",
            {"fields": ["created_at", "updated_at", "source_path", "view_on_site_link"]},
        ),
    ]

    @admin.display(description="on the site")
    def view_on_site_link(self, topic: Topic) -> str:
        if not topic.pk or not topic.slug:
            return "—"  # the "add" page: no address yet
        return format_html(
            '<a href="{}">{}</a>', topic.get_absolute_url(), topic.get_absolute_url()
        )

    def get_deleted_objects(self, objs, request):
        """A topic a closed round ranked is protected: the page says which round, and why."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for round_ in closed_rounds_holding(objs):
            protected = [
                *protected,
                f"Round: {round_.title} (closed: its candidates and results are final; "
                "set the topic's status to Archived instead)",
            ]
        return deleted, counts, perms_needed, protected

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # Render, cite and index once everything is saved; citations come
        # from the body, so an inline edit cannot drift from it.
        save_topic(topic=form.instance)
        # A direct edit is a change like any other: it is kept as a revision, also on a
        # topic unpublished or archived for a while (a suggestion published later is
        # merged with it). A proposal's text stays its proposal's until it is reviewed.
        if not form.instance.is_proposal:
            workflow.record_direct_edit(topic=form.instance, by=request.user)


@admin.register(Reference)
class ReferenceAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "url", "citation_count", "created_at"]
    list_filter = ["kind"]
    search_fields = ["title", "url"]
    list_editable = ["kind"]
    inlines = [CitedInInline]
    formfield_overrides = HTTPS_ADDRESSES

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(citation_total=Count("citations"))

    @admin.display(description="cited by", ordering="citation_total")
    def citation_count(self, reference: Reference) -> int:
        return reference.citation_total


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ["__str__", "preview", "uploaded_by", "created_at"]
    search_fields = ["source_path", "file"]
    readonly_fields = ["preview"]
    list_select_related = ["uploaded_by"]

    @admin.display(description="preview")
    def preview(self, image: Image) -> str:
        return format_html('<img src="{}" alt="" style="max-height:4em">', image.file.url)


class ReviewEventInline(admin.TabularInline):
    model = ReviewEvent
    extra = 0
    fields = ["created_at", "action", "actor", "comment"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class DecisionActionForm(ActionForm):
    comment = forms.CharField(
        required=False,
        label="Comment or reason",
        widget=forms.TextInput(attrs={"size": 40, "placeholder": "required to refuse or reject"}),
    )


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    """The moderation queue in the admin: filter by status, compare, decide in bulk."""

    list_display = [
        "topic",
        "created_at",
        "author_display",
        "message",
        "status",
        "behind",
        "compare",
    ]
    list_filter = ["status", "topic__status", "topic__section"]
    search_fields = ["topic__title", "message", "author_name", "author__username", "commit"]
    list_select_related = ["topic", "author__profile", "topic__current_revision"]
    date_hierarchy = "created_at"
    raw_id_fields = ["topic", "author", "based_on", "replaces"]
    readonly_fields = ["commit", "status", "topic", "based_on", "replaces", "author", "author_name"]
    fields = [
        "topic",
        "status",
        "title",
        "summary",
        "body",
        "tags",
        "message",
        "author",
        "author_name",
        "based_on",
        "replaces",
        "commit",
    ]
    inlines = [ReviewEventInline]
    action_form = DecisionActionForm
    actions = ["publish_selected", "request_changes_selected", "reject_selected"]

    def has_change_permission(self, request, obj=None) -> bool:
        # Stored text is history, a pending suggestion's too (it is its author's words):
        # decisions go through the actions, the review page and its merge, never edits.
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        # A published revision is what readers saw (the current one is their text): history.
        # A suggestion never published may go, as moderation (spam, a mistake).
        if obj is not None and obj.status == Revision.Status.PUBLISHED:
            return False
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if any(revision.status == Revision.Status.PUBLISHED for revision in objs):
            perms_needed = {*perms_needed, "published revisions (the history readers saw)"}
        return deleted, counts, perms_needed, protected

    def delete_queryset(self, request, queryset) -> None:
        """ "Delete selected" never touches a published revision."""
        if queryset.filter(status=Revision.Status.PUBLISHED).exists():
            raise PermissionDenied("Published revisions are the topic's history: kept.")
        super().delete_queryset(request, queryset)

    @admin.display(description="written before the latest version", boolean=True)
    def behind(self, revision: Revision) -> bool:
        return revision.is_open and workflow.is_behind(revision)

    @admin.display(description="compare")
    def compare(self, revision: Revision) -> str:
        return format_html(
            '<a href="{}">review and compare</a>', reverse("review_revision", args=[revision.pk])
        )

    def _decide(self, request, queryset, decide, done: str) -> None:
        comment = request.POST.get("comment", "")
        succeeded = 0
        for revision in queryset:
            try:
                decide(revision=revision, by=request.user, comment=comment)
            except workflow.WorkflowError as error:
                self.message_user(request, f"{revision.topic}: {error}", messages.WARNING)
            else:
                succeeded += 1
                self.log_change(request, revision, f"{done}. {comment}".strip())
        if succeeded:
            self.message_user(request, f"{done}: {succeeded} revision(s).", messages.SUCCESS)

    @admin.action(description="Publish the selected revisions", permissions=["publish"])
    def publish_selected(self, request, queryset):
        def publish(revision, by, comment):
            return workflow.publish_revision(revision=revision, by=by, note=comment)

        self._decide(request, queryset, publish, "Published")

    @admin.action(description="Request changes (with the comment above)", permissions=["review"])
    def request_changes_selected(self, request, queryset):
        self._decide(request, queryset, workflow.request_changes, "Changes requested")

    @admin.action(description="Reject (with the reason above)", permissions=["review"])
    def reject_selected(self, request, queryset):
        def reject(revision, by, comment):
            return workflow.reject_revision(revision=revision, by=by, reason=comment)

        self._decide(request, queryset, reject, "Rejected")

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm("topics.publish_revision")

    def has_review_permission(self, request) -> bool:
        return request.user.has_perm("topics.review_revision")


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["topic", "author", "created_at", "status", "wants_public"]
    list_filter = ["status", "wants_public"]
    search_fields = ["body", "topic__title", "author__username"]
    list_select_related = ["topic", "author"]
    readonly_fields = [
        "topic",
        "author",
        "body",
        "wants_public",
        "reviewed_by",
        "reviewed_at",
        "created_at",
    ]
    actions = ["accept_selected"]

    @admin.action(description="Accept the selected feedback")
    def accept_selected(self, request, queryset):
        for item in queryset.filter(status=Input.Status.PENDING):
            contributions.review_feedback(feedback=item, by=request.user, accept=True)
            self.log_change(request, item, "Accepted")


@admin.register(ReferenceSuggestion)
class ReferenceSuggestionAdmin(admin.ModelAdmin):
    list_display = ["title", "topic", "kind", "author", "status", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["title", "url", "topic__title"]
    list_select_related = ["topic", "author"]
    formfield_overrides = HTTPS_ADDRESSES
    actions = ["accept_selected"]

    @admin.action(description="Accept: the topics cite these references")
    def accept_selected(self, request, queryset):
        for item in queryset.filter(status=Input.Status.PENDING):
            contributions.review_reference_suggestion(suggestion=item, by=request.user, accept=True)
            self.log_change(request, item, "Accepted")


@admin.register(StakeholderGroup)
class StakeholderGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order"]
    list_editable = ["order"]
    prepopulated_fields = {"slug": ["name"]}

    @transaction.atomic
    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and "name" in form.changed_data:
            voting.group_renamed(old=form.initial["name"], new=obj.name)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "affiliation", "group", "verified_at"]
    list_filter = ["group", ("verified_at", admin.EmptyFieldListFilter)]
    search_fields = ["display_name", "affiliation", "user__username", "user__email"]
    list_select_related = ["user", "group"]
    readonly_fields = ["verified_at", "verified_by"]
    actions = ["verify_selected"]

    def save_model(self, request, obj, form, change) -> None:
        """As on the site: a verified stakeholder moved to another group is checked again."""
        if not change:
            return super().save_model(request, obj, form, change)
        result = accounts.change_profile(profile=obj, by=request.user)
        if result.needs_verification_again:
            messages.warning(request, f"{obj} changed group: verify them again.")
        return None

    @admin.action(description="Verify the selected stakeholders")
    def verify_selected(self, request, queryset):
        for profile in queryset:
            try:
                contributions.verify_stakeholder(profile=profile, by=request.user)
            except workflow.WorkflowError as error:
                self.message_user(request, f"{profile}: {error}", messages.ERROR)
            else:
                self.log_change(request, profile, "Verified")


@admin.register(TopicFollow)
class TopicFollowAdmin(admin.ModelAdmin):
    list_display = ["user", "topic", "created_at"]
    list_select_related = ["user", "topic"]


class TagMergeForm(ActionForm):
    into = forms.CharField(
        required=False,
        label="Merge into",
        widget=forms.TextInput(attrs={"size": 20, "placeholder": "tag to keep (optional)"}),
    )


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    """Our tags (taggit's own Tag model is unused and unregistered below)."""

    list_display = ["name", "slug", "topic_count"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    action_form = TagMergeForm
    actions = ["merge_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(topic_count=Count("tagged_topics"))

    @admin.display(description="topics", ordering="topic_count")
    def topic_count(self, tag: Tag) -> int:
        return tag.topic_count

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not can_merge_tags(request.user):
            actions.pop("merge_selected", None)
        return actions

    @admin.action(description="Merge the selected tags (every topic keeps a tag)")
    def merge_selected(self, request, queryset):
        try:
            kept = merge_tags(
                tags=list(queryset), into=request.POST.get("into", ""), by=request.user
            )
        except TagMergeRefused as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.log_change(request, kept, "Merged tags into this one")
        self.message_user(request, f"Merged into “{kept.name}”.", messages.SUCCESS)


if admin.site.is_registered(TaggitTag):
    admin.site.unregister(TaggitTag)


@admin.register(SiteIdentity)
class SiteIdentityAdmin(admin.ModelAdmin):
    """One row: the list goes straight to it (or to adding it, the first time)."""

    fieldsets = [
        (None, {"fields": ["name", "description", "url"]}),
        ("Attribution", {"fields": ["copyright", "repo_url", "repo_name", "source_url"]}),
        ("Licence", {"fields": ["licence", "licence_url", "licence_text"]}),
    ]
    readonly_fields = ["updated_at"]
    formfield_overrides = HTTPS_ADDRESSES

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not SiteIdentity.objects.exists()

    def changelist_view(self, request, extra_context=None):
        identity = SiteIdentity.objects.first()
        if identity is None:
            return HttpResponseRedirect(reverse("admin:topics_siteidentity_add"))
        change = reverse("admin:topics_siteidentity_change", args=[identity.pk])
        return HttpResponseRedirect(change)


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    """Maintainers open rounds here; once closed, a round is read-only."""

    list_display = ["title", "slug", "state", "opens_at", "closes_at", "ballot_count", "results"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["candidates"]
    fields = [
        "title",
        "slug",
        "description",
        "candidates",
        "opens_at",
        "closes_at",
        "show_partial_results",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(ballot_total=Count("ballots"))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # Results show candidates' titles to everyone: drafts and archived topics are not
        # offered (a candidate already chosen stays listed, so a save keeps it).
        if db_field.name == "candidates":
            offered = Q(status=Topic.Status.PUBLISHED)
            round_id = request.resolver_match.kwargs.get("object_id")
            if round_id is not None and str(round_id).isdigit():
                offered |= Q(rounds__pk=int(round_id))
            kwargs["queryset"] = Topic.objects.filter(offered).distinct()
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description="ballots", ordering="ballot_total")
    def ballot_count(self, round_: Round) -> int:
        return round_.ballot_total

    @admin.display(description="results")
    def results(self, round_: Round) -> str:
        return format_html('<a href="{}">results</a>', reverse("round_results", args=[round_.slug]))

    def has_change_permission(self, request, obj=None) -> bool:
        # A closed round's page is view-only: every field read-only, no Save button. As
        # stored: a form that was refused a past closing time still shows its message.
        if obj is not None and Round.objects.closed().filter(pk=obj.pk).exists():
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        # A round made by mistake can go; one with ballots is kept (its results are final).
        if obj is not None and obj.ballots.exists():
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        """ "Delete selected" deletes only rounds without ballots, and says which it kept."""
        kept = list(
            queryset.filter(ballots__isnull=False).distinct().values_list("title", flat=True)
        )
        if kept:
            messages.warning(request, f"Kept, because they hold ballots: {', '.join(kept)}.")
        super().delete_queryset(request, queryset.filter(ballots__isnull=True))

    actions = ["open_now", "close_now"]

    @admin.action(description="Open the selected upcoming rounds now", permissions=["change"])
    def open_now(self, request, queryset) -> None:
        self._act(request, queryset, voting.open_round_now, "opened")

    @admin.action(
        description="Close the selected open rounds now (their ballots become final)",
        permissions=["change"],
    )
    def close_now(self, request, queryset) -> None:
        self._act(request, queryset, voting.close_round_now, "closed")

    def _act(self, request, queryset, act, done: str) -> None:
        changed = []
        for round_ in queryset:
            try:
                act(round_=round_, by=request.user)
            except voting.VotingError as error:
                messages.error(request, str(error))
            else:
                changed.append(round_.title)
                self.log_change(request, round_, f"{done.capitalize()} now from the admin.")
        if changed:
            messages.success(request, f"{done.capitalize()}: {', '.join(changed)}.")

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """Answer a Save on a round that closed while its form was open with a message."""
        if request.method == "POST" and object_id is not None:
            round_ = self.get_object(request, unquote(object_id))
            if round_ is not None and round_.is_closed:
                messages.error(request, "A closed round cannot be changed.")
                return HttpResponseRedirect(request.path)
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:  # it closed between the check above and the save
            messages.error(request, " ".join(error.messages))
            return HttpResponseRedirect(request.path)


@admin.register(Ballot)
class BallotAdmin(admin.ModelAdmin):
    """Ballots are secret and, once their round closes, final.

    No voter, no group and no time is shown beside a ranking: together with
    the stakeholder list they could tell whose ranking it is. The receipt's
    hash is what the voter can check in the published CSV.
    """

    list_display = ["__str__", "round", "ranking_text", "receipt"]
    list_filter = ["round"]
    list_select_related = ["round"]
    fields = ["round", "ranking_text", "receipt"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("round__candidates")

    @admin.display(description="ranking")
    def ranking_text(self, ballot: Ballot) -> str:
        slugs = {topic.pk: topic.slug for topic in ballot.round.candidates.all()}
        return " > ".join(
            " = ".join(slugs.get(pk, "?") for pk in group) for group in ballot.ranking
        )

    @admin.display(description="receipt SHA-256")
    def receipt(self, ballot: Ballot) -> str:
        return ballot.receipt_hash or "—"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.round.is_closed:
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        """ "Delete selected" never touches a closed round's ballots."""
        final = queryset.filter(round__in=Round.objects.closed())
        if final.exists():
            raise PermissionDenied("Ballots of a closed round are final.")
        super().delete_queryset(request, queryset)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if any(ballot.round.is_closed for ballot in objs):
            perms_needed = {*perms_needed, "ballots of a closed round (they are final)"}
        return deleted, counts, perms_needed, protected


# --- Accounts and roles: nobody grants more than they hold (see topics/roles.py) ---

User = get_user_model()
admin.site.unregister(User)
admin.site.unregister(Group)

# Set by superusers only; staff status otherwise follows the staff roles.
SUPERUSER_ONLY_FIELDS = ["is_superuser", "is_staff", "user_permissions"]


class AccountCreationForm(AdminUserCreationForm):
    def clean_username(self) -> str:
        username = super().clean_username()
        return validate_username(username) if username else username


class AccountChangeForm(UserChangeForm):
    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if "username" not in self.changed_data:
            return username
        return validate_username(username, exclude_pk=self.instance.pk)


@admin.register(User)
class AccountAdmin(UserAdmin):
    """Django's user admin, where only superusers grant superuser, staff or permissions.

    Others change only accounts holding nothing they lack, assign only groups
    whose permissions they all hold, and staff status follows the staff roles.
    """

    form = AccountChangeForm
    add_form = AccountCreationForm

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += SUPERUSER_ONLY_FIELDS
        return fields

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            # A crafted POST naming any other group fails validation ("Select a valid choice").
            kwargs["queryset"] = roles.assignable_groups(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or roles.can_manage_account(request.user, obj))

    def has_delete_permission(self, request, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or roles.can_manage_account(request.user, obj))

    def save_model(self, request, obj, form, change) -> None:
        if not request.user.is_superuser:
            # Whatever the form held, these stay as stored (new accounts get neither).
            stored = User.objects.filter(pk=obj.pk).values("is_superuser", "is_staff").first()
            obj.is_superuser = bool(stored and stored["is_superuser"])
            obj.is_staff = bool(stored and stored["is_staff"])
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change) -> None:
        account = form.instance
        had_role = account.groups.filter(name__in=roles.STAFF_ROLES).exists()
        super().save_related(request, form, formsets, change)
        has_role = account.groups.filter(name__in=roles.STAFF_ROLES).exists()
        staff = roles.staff_after(was_staff=account.is_staff, had_role=had_role, has_role=has_role)
        if staff != account.is_staff:
            account.is_staff = staff
            account.save(update_fields=["is_staff"])


@admin.register(Group)
class RoleAdmin(GroupAdmin):
    """Groups: their permissions are only those the editing user holds.

    The three roles keep their names and cannot be deleted: sign-up, staff
    status and the permission checks look them up by name.
    """

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.name in roles.ROLES:
            fields.append("name")
        return fields

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "permissions" and not request.user.is_superuser:
            kwargs["queryset"] = roles.held_permissions(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or roles.can_manage_group(request.user, obj))

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.name in roles.ROLES:
            return False
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or roles.can_manage_group(request.user, obj))
