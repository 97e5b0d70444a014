"""Known traps of this stack that the foundation touches (listed in the README's security
section), each with the behaviour that fixes it."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import Client
from PIL import Image as PILImage

from tests.factories import admin_topic_form, make_topic, png_bytes
from topics.models import Image, Tag, Topic

pytestmark = pytest.mark.django_db

PREVIEW = "/markdownx/markdownify/"
UPLOAD = "/markdownx/upload/"
AJAX = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


# --- The editor's preview and upload URLs ----------------------------------


def test_anonymous_preview_is_sent_to_sign_in(client):
    response = client.post(PREVIEW, {"content": "# hi"})
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_anonymous_upload_is_sent_to_sign_in_and_stores_nothing(client):
    upload = SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")
    response = client.post(UPLOAD, {"image": upload}, **AJAX)
    assert response.status_code == 302
    assert not Image.objects.exists()


def test_preview_without_csrf_token_is_refused(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(PREVIEW, {"content": "x"}).status_code == 403


def test_preview_renders_with_the_published_renderer_and_is_sanitised(client, user):
    client.force_login(user)
    response = client.post(PREVIEW, {"content": "!!! note\n    x\n\n<script>alert(1)</script>"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="admonition note"' in html and "<script" not in html


def test_markdownx_own_views_use_our_renderer_too():
    from markdownx.views import markdownify_func

    from topics.markdown import markdownify

    assert markdownify_func is markdownify


def test_preview_of_pathological_text_is_a_message_not_a_500(client, user):
    client.force_login(user)
    response = client.post(PREVIEW, {"content": "[" * 9000})
    assert response.status_code == 200
    assert "too many" in response.content.decode()


def test_valid_png_is_re_encoded_under_a_random_name(client, user):
    client.force_login(user)
    upload = SimpleUploadedFile("../../evil name.png", png_bytes(), content_type="image/png")
    response = client.post(UPLOAD, {"image": upload}, **AJAX)
    assert response.status_code == 200
    code = response.json()["image_code"]
    url = re.fullmatch(r"!\[\]\((/media/uploads/[0-9a-f]{32}\.png)\)", code).group(1)
    image = Image.objects.get()
    assert image.uploaded_by == user
    served = client.get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"


def test_html_disguised_as_png_is_refused(client, user):
    client.force_login(user)
    payload = b"<html><script>alert(document.cookie)</script></html>"
    upload = SimpleUploadedFile("x.png", payload, content_type="image/png")
    response = client.post(UPLOAD, {"image": upload}, **AJAX)
    assert response.status_code == 400
    assert "not an image we accept" in response.json()["image"][0]
    assert not Image.objects.exists()


def test_svg_with_script_is_refused(client, user):
    client.force_login(user)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'
    upload = SimpleUploadedFile("x.svg", svg, content_type="image/svg+xml")
    response = client.post(UPLOAD, {"image": upload}, **AJAX)
    assert response.status_code == 400
    assert not Image.objects.exists()


def test_image_with_trailing_payload_is_stored_without_it(client, user):
    client.force_login(user)
    payload = png_bytes() + b"<script>alert(1)</script>"
    upload = SimpleUploadedFile("x.png", payload, content_type="image/png")
    response = client.post(UPLOAD, {"image": upload}, **AJAX)
    assert response.status_code == 200
    with Image.objects.get().file.open("rb") as stored:
        assert b"<script>" not in stored.read()


def test_oversized_upload_gets_a_clear_error(client, user, settings):
    settings.MARKDOWNX_UPLOAD_MAX_SIZE = 1000
    client.force_login(user)
    upload = SimpleUploadedFile("big.png", png_bytes(size=(400, 400)) + b"0" * 2000)
    response = client.post(UPLOAD, {"image": upload}, **AJAX)
    assert response.status_code == 400
    assert "too large" in response.json()["image"][0]


def test_media_serves_only_stored_images(client, db, media_root):
    (media_root / "secret.txt").write_text("not an image")
    assert client.get("/media/secret.txt").status_code == 404
    assert client.get("/media/../pyproject.toml").status_code == 404


# --- Tags --------------------------------------------------------------------


def test_tag_names_are_normalised_in_one_place():
    topic = make_topic(tags=["  Python  ", "PYTHON", "Native   Code"])
    assert sorted(tag.name for tag in topic.tags.all()) == ["native code", "python"]


def test_tags_differing_only_in_case_cannot_both_exist():
    Tag.objects.create(name="python", slug="python")
    with pytest.raises(IntegrityError), transaction.atomic():
        Tag.objects.bulk_create([Tag(name="PYTHON", slug="python-2")])


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("tags", "x" * 120, "is too long"),
        ("tags", "ok, <b>bad</b>", "may use only letters"),
        ("body", "[" * 9000, "too many"),
        ("body", "".join("  " * d + "- x\n" for d in range(100)), "nested too deeply"),
        ("title", "bad\x00title", "Null characters are not allowed"),
        ("title", "    ", "This field is required"),
    ],
    ids=["long-tag", "tag-markup", "brackets", "nesting", "nul-title", "blank-title"],
)
def test_admin_topic_form_rejects_bad_input_and_keeps_the_text(
    client, staff, field, value, message
):
    client.force_login(staff)
    data = admin_topic_form(**{field: value})
    response = client.post("/admin/topics/topic/add/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    if field == "body":
        assert value[:50] in page
    assert not Topic.objects.exists()


def test_admin_saves_a_valid_topic_rendered_with_citations(client, staff):
    client.force_login(staff)
    body = "See [PEP 8](https://peps.python.org/pep-0008/)."
    response = client.post("/admin/topics/topic/add/", admin_topic_form(body=body, tags="Style"))
    assert response.status_code == 302
    topic = Topic.objects.get()
    assert 'href="https://peps.python.org/pep-0008/"' in topic.body_html
    assert topic.references.get().kind == "pep"
    assert [t.name for t in topic.tags.all()] == ["style"]


# --- Headers and sign-in ------------------------------------------------------


def test_pages_carry_a_content_security_policy_without_inline_script(client, db):
    policy = client.get("/")["Content-Security-Policy"]
    script = re.search(r"script-src ([^;]*)", policy).group(1)
    assert script.strip() == "'self'"
    assert "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy


def test_repeated_failed_sign_ins_lock_that_username_from_that_address(client, staff, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post("/admin/login/", {"username": "maintainer", "password": "wrong"})
    locked = client.post(
        "/admin/login/", {"username": "maintainer", "password": "a-long-test-password"}
    )
    assert locked.status_code == 429
    assert "Try again in" in locked.content.decode()
    other = client.post("/admin/login/", {"username": "someone-else", "password": "x"})
    assert other.status_code == 200


def test_decompression_bomb_is_refused_with_a_message(client, user):
    client.force_login(user)
    output = io.BytesIO()
    PILImage.new("1", (20000, 20000)).save(output, format="PNG")
    upload = SimpleUploadedFile("bomb.png", output.getvalue(), content_type="image/png")
    response = client.post(UPLOAD, {"image": upload}, **AJAX)
    assert response.status_code == 400
    assert "too many pixels" in response.json()["image"][0]
    assert not Image.objects.exists()
