"""Uncached renders of every reader page at scale: 500 topics and 5,000 references.

Grows the database DATABASE_URL names (the corpus already imported, or empty)
to SCALE_TOPICS published topics citing SCALE_REFERENCES references, through
the same service the demo and the tests use (rendered, cited, indexed). Then,
in this process, renders each reader page ROUNDS times as an anonymous reader
meets it after a change (the page cache missed, the navigation cache warm),
and as a signed-in stakeholder, and prints the median and the slowest.

Usage: DATABASE_URL=... python bench/bench_renders.py   (bench/bench_speed.py runs it)
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kb.settings")

SCALE_TOPICS = int(os.environ.get("SCALE_TOPICS", "500"))
SCALE_REFERENCES = int(os.environ.get("SCALE_REFERENCES", "5000"))
ROUNDS = int(os.environ.get("ROUNDS", "15"))
HOSTS = [  # so the references fall into every kind, as on a real site
    "https://peps.python.org/pep-{n:04d}/",
    "https://github.com/example/project-{n}/issues/{n}",
    "https://discuss.python.org/t/thread-about-packaging-{n}/{n}",
    "https://blog.example.org/{n}/packaging-notes",
    "https://docs.example.org/en/latest/page-{n}.html",
    "https://pypi.org/project/package-{n}/",
    "https://www.example.com/articles/{n}",
]


def grow() -> None:
    """Add published topics, each citing its share of new references, up to the scale."""
    from topics.models import Reference, Section, Topic
    from topics.services.content import create_published_topic

    section, _ = Section.objects.get_or_create(
        slug="scale", defaults={"title": "Scale", "order": 90}
    )
    topics = Topic.objects.published().count()
    references = Reference.objects.count()
    missing = max(0, SCALE_TOPICS - topics)
    started = time.perf_counter()
    for index in range(missing):
        share = (SCALE_REFERENCES - references) // (missing - index)
        links = [
            f"- [Source {references + k} on packaging]"
            f"({HOSTS[(references + k) % len(HOSTS)].format(n=references + k)})"
            for k in range(share)
        ]
        references += share
        body = (
            f"Scale topic {index} explains one packaging question in some detail.\n\n"
            "## Background\n\n" + "A paragraph of plain text. " * 40 + "\n\n"
            "## Sources\n\n" + "\n".join(links) + "\n"
        )
        topic = Topic(
            title=f"Scale topic {index}",
            slug=f"scale-topic-{index}",
            section=section,
            order=index,
            summary=f"One packaging question, number {index}.",
            body=body,
        )
        create_published_topic(topic=topic, tags=[f"scale-{index % 25}"])
    if missing:
        print(
            f"grew to {Topic.objects.published().count()} topics and "
            f"{Reference.objects.count()} references in {time.perf_counter() - started:.0f} s"
        )


def measure(client, path: str, change) -> tuple[float, float]:
    """Median and slowest of ROUNDS renders of `path` in ms, each after `change()`."""
    client.get(path)  # compiled templates, warm navigation cache
    times = []
    for _ in range(ROUNDS):
        change()
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times), max(times)


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from topics.models import Section, Tag, Topic

    # Not setup_test_environment(): it instruments every template render for the test
    # client (a signal and a copy of the context each), which production never pays.
    host = {"HTTP_HOST": settings.ALLOWED_HOSTS[0]}
    grow()
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="bench-renders")
    signed_in = Client(**host)
    signed_in.force_login(user)
    topic = Topic.objects.published().filter(section__slug="key-issues").first() or (
        Topic.objects.published().exclude(is_home=True).first()
    )
    section = Section.objects.filter(slug="key-issues").first() or Section.objects.first()
    tag = Tag.objects.filter(tagged_topics__isnull=False).first()
    pages = [
        ("/", "home"),
        (section.get_absolute_url(), "a section"),
        (topic.get_absolute_url(), "a topic"),
        ("/references/", "references"),
        ("/tags/", "tags"),
        (f"/tags/{tag.slug}/", "a tag"),
        ("/changes/", "recent changes"),
    ]
    print(
        f"{Topic.objects.published().count()} published topics, "
        f"{__import__('topics.models', fromlist=['Reference']).Reference.objects.count()} "
        f"references; {ROUNDS} renders each, in ms"
    )
    print(
        f"{'page':<16} {'anonymous p50':>14} {'max':>7} {'signed-in p50':>14} {'max':>7} {'ratio':>6}"
    )
    # A reader meets a page after a change: here another topic's new revision (the
    # whole-page cache misses; what that write did not touch stays precomputed).
    from topics.models import Revision
    from topics.page_cache import bump_version

    elsewhere = Revision.objects.exclude(topic=topic).first()

    def edit_elsewhere():
        bump_version(about=[elsewhere])

    for path, name in pages:
        anonymous = measure(Client(**host), path, edit_elsewhere)
        personal = measure(signed_in, path, edit_elsewhere)
        print(
            f"{name:<16} {anonymous[0]:>14.1f} {anonymous[1]:>7.1f} "
            f"{personal[0]:>14.1f} {personal[1]:>7.1f} {personal[0] / anonymous[0]:>6.2f}"
        )
    # After a write to what /references/ shows, its page is computed again (once).
    fresh = measure(Client(**host), "/references/", bump_version)
    print(f"{'references, after a write to references':<40} p50 {fresh[0]:.1f}, max {fresh[1]:.1f}")


if __name__ == "__main__":
    main()
