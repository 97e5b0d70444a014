"""The Django admin for maintainers: every model, with lists, filters and search."""

from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html

from topics.forms import TopicAdminForm
from topics.models import Citation, Image, Reference, Revision, Section, Tag, Topic
from topics.services.content import save_topic


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "order", "numbered", "topic_count"]
    list_editable = ["order", "numbered"]
    search_fields = ["title", "slug", "description"]
    prepopulated_fields = {"slug": ["title"]}

    @admin.display(description="topics")
    def topic_count(self, section: Section) -> int:
        return section.topics.count()


class CitationInline(admin.TabularInline):
    model = Citation
    extra = 0
    autocomplete_fields = ["reference"]
    readonly_fields = ["text"]


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
        (None, {"fields": ["title", "slug", "status", "summary", "body", "tags"]}),
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
        return format_html(
            '<a href="{}">{}</a>', topic.get_absolute_url(), topic.get_absolute_url()
        )

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # Render, cite and index once everything is saved; citations come
        # from the body, so an inline edit cannot drift from it.
        save_topic(topic=form.instance)


@admin.register(Reference)
class ReferenceAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "url", "citation_count", "created_at"]
    list_filter = ["kind"]
    search_fields = ["title", "url"]
    list_editable = ["kind"]

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


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    list_display = ["topic", "created_at", "author_display", "message", "status", "commit"]
    list_filter = ["status", "topic__section"]
    search_fields = ["topic__title", "message", "author_name", "author__username", "commit"]
    list_select_related = ["topic", "author"]
    date_hierarchy = "created_at"
    raw_id_fields = ["topic", "author", "based_on"]
    readonly_fields = ["commit"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
