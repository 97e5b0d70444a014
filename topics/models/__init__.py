"""The tables of the knowledge base, one module per concern."""

from topics.models.content import (
    IMPORTED_MEDIA_DIR,
    Citation,
    Image,
    Reference,
    Revision,
    Section,
    Tag,
    TaggedTopic,
    Topic,
    legacy_path_for,
    source_path_urls,
)

__all__ = [
    "IMPORTED_MEDIA_DIR",
    "Citation",
    "Image",
    "Reference",
    "Revision",
    "Section",
    "Tag",
    "TaggedTopic",
    "Topic",
    "legacy_path_for",
    "source_path_urls",
]
