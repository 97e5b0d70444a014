"""Every Markdown render has a hard budget: slow or greedy text is refused, never a stuck worker.

The hostile texts below were each reproduced holding a web worker for 4 to
30 seconds (or past gunicorn's timeout) while passing the renderer's
pattern checks. The budget is enforced by a child process that is stopped
at the limit, so what these tests show is that each is refused with a
message, and that the next render works.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.factories import make_stakeholder, published_topic, signed_in
from tests.render_resolvers import GreedyResolver, SleepingResolver
from topics.markdown import MarkdownError, render
from topics.models import Revision
from topics.render_worker import render_worker

SIZE_LIMIT = 300_000

HOSTILE = {
    "a footnote reference per paragraph": "[^1]\n\n" * 12000 + "[^1]: x",
    "emphasis openers at the size limit": "*_" * 149_500,
    "inline code at the size limit": "`a` " * 75_000,
    "nested emphasis at the size limit": "*a " * 50_000 + "a*" * 50_000,
    "nested div tags": "<div>" * 30_000,
    "a 300-column table": "|"
    + "a|" * 300
    + "\n|"
    + "-|" * 300
    + "\n"
    + ("|" + "a|" * 300 + "\n") * 200,
    "headings at the size limit": "# a\n\n" * 60_000,
    "'>' hidden in code before unclosed tags": "x `" + ">" * 8000 + "` " + "<a " * 8000,
}
# Refused by the cheap checks before any rendering starts.
REFUSED_AT_ONCE = {
    "footnote references in one paragraph": "[^1]" * 4500,
    "8 KB of brackets": "[" * 8000,
    "over the size limit": "a" * (SIZE_LIMIT + 1),
}


@pytest.fixture
def budget(settings):
    settings.KB_RENDER_TIMEOUT = 0.5
    return settings.KB_RENDER_TIMEOUT


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_text_is_refused_with_a_message_within_the_budget(budget, body):
    started = time.monotonic()
    with pytest.raises(MarkdownError, match="took too long to render"):
        render(body)
    # The child was stopped at the budget, not left to finish (several seconds each).
    assert time.monotonic() - started < budget + 2


@pytest.mark.parametrize("body", REFUSED_AT_ONCE.values(), ids=REFUSED_AT_ONCE.keys())
def test_known_slow_patterns_are_refused_before_rendering(body):
    with pytest.raises(MarkdownError):
        render(body)


def test_the_render_process_is_stopped_at_the_limit_and_replaced(budget):
    worker = render_worker()
    render("warm up")
    child = worker._child
    with pytest.raises(MarkdownError, match="took too long"):
        render("[a link](page)", resolve_link=SleepingResolver())
    assert child.process.poll() is not None, "the stuck render process is still running"
    assert render("*still* renders").html == "<p><em>still</em> renders</p>"


def test_a_render_that_needs_too_much_memory_is_refused(budget):
    with pytest.raises(MarkdownError, match="too much memory"):
        render("[a link](page)", resolve_link=GreedyResolver())
    assert "<strong>fine</strong>" in render("**fine**").html


def test_relative_links_are_resolved_in_the_render_process():
    from topics.links import MkDocsLinks

    links = MkDocsLinks(base="key-issues", pages={"key-issues/abi.md": "/topics/abi/"})
    rendered = render("[ABI](abi.md#rules) ![x](../img/a.png)", resolve_link=links)
    assert 'href="/topics/abi/#rules"' in rendered.html
    assert 'src="/media/kb/img/a.png"' in rendered.html


@pytest.mark.django_db
def test_live_preview_of_a_hostile_text_answers_with_the_reason(budget):
    client = signed_in(make_stakeholder())
    started = time.monotonic()
    response = client.post(
        "/markdownx/markdownify/", {"content": HOSTILE["inline code at the size limit"]}
    )
    assert response.status_code == 200
    assert "took too long to render" in response.content.decode()
    assert time.monotonic() - started < budget + 2


@pytest.mark.django_db
def test_suggested_edit_with_a_hostile_text_is_refused_and_the_text_kept(budget):
    topic = published_topic()
    client = signed_in(make_stakeholder())
    body = HOSTILE["a footnote reference per paragraph"]
    response = client.post(
        f"/topics/{topic.slug}/suggest/",
        {
            "title": topic.title,
            "summary": topic.summary,
            "body": body,
            "tags": "",
            "message": "More footnotes",
            "base": topic.current_revision_id,
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "took too long to render" in page
    assert "[^1]: x" in page, "the author's text was not kept in the form"
    assert not Revision.objects.filter(topic=topic, message="More footnotes").exists()


def test_the_render_process_exits_when_its_web_process_dies(tmp_path):
    script = (
        "import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'kb.settings');"
        "django.setup();"
        "from topics.markdown import render; from topics.render_worker import render_worker;"
        "render('x'); print(render_worker()._child.process.pid, flush=True); os._exit(0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    child = int(done.stdout.split()[-1])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.1)
    assert not _alive(child), "the render process outlived its parent"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too (its parent, here init, has not reaped it yet).
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.django_db
def test_previews_pause_after_several_texts_ran_past_the_budget(budget):
    author, other = make_stakeholder("ada"), make_stakeholder("bob")
    client = signed_in(author)
    slow = HOSTILE["emphasis openers at the size limit"]
    for _ in range(3):
        assert "took too long" in client.post("/markdownx/markdownify/", {"content": slow}).text
    paused = client.post("/markdownx/markdownify/", {"content": "*short*"})
    assert "Preview is paused" in paused.text and "<em>" not in paused.text
    # Other people's previews, and this author's published pages, are unaffected.
    assert (
        "<em>fine</em>"
        in signed_in(other).post("/markdownx/markdownify/", {"content": "*fine*"}).text
    )
