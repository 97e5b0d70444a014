"""The tables of the knowledge base, one module per concern."""

from topics.models.accounts import Profile, StakeholderGroup, display_name
from topics.models.content import (
    IMPORTED_MEDIA_DIR,
    Citation,
    Image,
    OldTopicAddress,
    Reference,
    Revision,
    Section,
    Tag,
    TaggedTopic,
    Topic,
    legacy_path_for,
    source_path_urls,
)
from topics.models.notifications import EmailPreference, Notification
from topics.models.site import ContentChange, SiteIdentity
from topics.models.voting import Ballot, Round, RoundEligibility, VoterSecret
from topics.models.workflow import Feedback, Input, ReferenceSuggestion, ReviewEvent, TopicFollow

__all__ = [
    "Ballot",
    "EmailPreference",
    "Notification",
    "Round",
    "RoundEligibility",
    "VoterSecret",
    "Feedback",
    "Input",
    "Profile",
    "ReferenceSuggestion",
    "ReviewEvent",
    "StakeholderGroup",
    "TopicFollow",
    "display_name",
    "IMPORTED_MEDIA_DIR",
    "Citation",
    "ContentChange",
    "Image",
    "OldTopicAddress",
    "Reference",
    "Revision",
    "Section",
    "SiteIdentity",
    "Tag",
    "TaggedTopic",
    "Topic",
    "legacy_path_for",
    "source_path_urls",
]
