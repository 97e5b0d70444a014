"""Limits settled before any view runs: the client's address and the size of a body."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test.client import FakePayload

from topics.models import Image
from topics.request_limits import forwarded_address

UPLOAD = "/markdownx/upload/"
SIGNUP = "/accounts/signup/"
REFUSED = {403, 429}  # a rate limit's refusal


def test_anonymous_upload_declaring_200_mb_is_refused_before_its_body_is_read(client, db):
    payload = FakePayload(
        b"--x\r\nContent-Disposition: form-data; name=image\r\n\r\n" + b"a" * 1000
    )
    response = client.generic(
        "POST",
        UPLOAD,
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(200_000_000),
        **{"wsgi.input": payload},
    )
    assert response.status_code == 413
    message = response.content.decode()
    assert "Request too large: 200.0 MB sent" in message
    assert "at most 5.2 MB in one request (images up to 3.1 MB)" in message
    assert not payload.read_started
    assert not Image.objects.exists()


def test_signed_in_upload_over_the_request_limit_is_refused_too(client, user, settings):
    settings.KB_MAX_REQUEST_BYTES = 1000
    client.force_login(user)
    response = client.post(UPLOAD, {"image": "x" * 2000})
    assert response.status_code == 413
    assert not Image.objects.exists()


def test_a_form_as_large_as_a_whole_markdown_body_is_read(client, db):
    # 300,000 four-byte characters are 3.6 MB URL-encoded, as a browser sends a form:
    # past Django's default limit of 2.5 MB.
    typed = "\U0001f600" * 300_000
    form = urlencode({"username": typed})
    response = client.post("/accounts/login/", form, "application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert f'value="{typed}"' in response.content.decode()  # read whole, shown back


def test_a_content_length_that_is_not_a_number_is_a_bad_request(client, db):
    response = client.generic("POST", UPLOAD, b"x", CONTENT_LENGTH="lots")
    assert response.status_code == 400
    assert "Content-Length" in response.content.decode()


def signup_attempts(client, count: int, **headers: str) -> list[int]:
    """POST an invalid sign-up `count` times; each call's headers may vary per attempt."""
    statuses = []
    for n in range(count):
        varied = {name: value.format(n=n) for name, value in headers.items()}
        statuses.append(client.post(SIGNUP, {"username": ""}, headers=varied).status_code)
    return statuses


def test_forged_forwarding_headers_do_not_escape_the_per_address_limit(client, db, one_rate_window):
    statuses = signup_attempts(
        client, 11, **{"X-Forwarded-For": "10.0.0.{n}", "X-Real-IP": "10.0.1.{n}"}
    )
    assert statuses[:10] == [200] * 10
    assert statuses[10] in REFUSED


def test_behind_a_trusted_front_each_client_address_has_its_own_limit(
    client, db, settings, one_rate_window
):
    settings.KB_CLIENT_ADDRESS_HEADER = "X-Real-IP"
    assert signup_attempts(client, 11, **{"X-Real-IP": "10.0.1.{n}"}) == [200] * 11
    # The address the front wrote is the last one; a client's own entries come first.
    same = signup_attempts(client, 11, **{"X-Real-IP": "10.0.0.{n}, 192.0.2.7"})
    assert same[:10] == [200] * 10
    assert same[10] in REFUSED


@pytest.mark.parametrize(
    ("header", "address"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("10.0.0.1, 192.0.2.7", "192.0.2.7"),
        ("2001:db8::1", "2001:db8::1"),
        ("not an address", ""),
        ("192.0.2.7, ", ""),
        ("", ""),
    ],
)
def test_forwarded_address_is_the_right_most_valid_entry(header, address):
    assert forwarded_address(header) == address
