"""import_ballots: every bad line is reported with its number, never a traceback."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import make_topic
from topics.models import Ballot, Round
from topics.services.voting import imported_voter_key

pytestmark = pytest.mark.django_db

HEADER = "voter,group,ranking\n"


@pytest.fixture(autouse=True)
def topics():
    return [make_topic(slug=slug) for slug in ("abi", "gpus")]


def run_import(tmp_path, content: bytes | str, *args: str) -> str:
    """Import `content` and return what the command printed; it must fail cleanly."""
    file = tmp_path / "ballots.csv"
    file.write_bytes(content if isinstance(content, bytes) else content.encode())
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as raised:
        call_command(
            "import_ballots", str(file), "--round", "survey", *args, stdout=out, stderr=err
        )
    assert not Round.objects.exists() and not Ballot.objects.exists()
    return f"{err.getvalue()}\n{raised.value}"


def test_a_field_too_large_for_the_csv_reader_is_reported_with_its_line(tmp_path):
    text = HEADER + "ann,g,abi > gpus\n" + "bob," + "g" * 140_000 + ",abi\ncid,g,abi >> gpus\n"
    report = run_import(tmp_path, text)
    assert "line 3: a field is longer than 131072 characters" in report
    assert "line 4:" in report  # the lines after it are still checked
    assert "Traceback" not in report and "g" * 1000 not in report


def test_a_nul_in_a_voter_name_is_reported_with_its_line(tmp_path):
    report = run_import(tmp_path, HEADER + "ann,g,abi > gpus\nb\x00b,g,gpus > abi\n")
    assert "line 3: contains a NUL character" in report


def test_a_file_that_is_not_utf8_is_reported_with_every_bad_line(tmp_path):
    content = (HEADER + "ann,g,abi\n").encode() + "zoë,g,abi\nbjørn,g,gpus\n".encode("latin-1")
    report = run_import(tmp_path, content)
    assert "line 3: not UTF-8 text" in report and "line 4: not UTF-8 text" in report
    assert "line 2:" not in report


def test_an_empty_file_says_it_has_no_header(tmp_path):
    report = run_import(tmp_path, "")
    assert "the file is empty: its first line must be the header voter,group,ranking" in report


def test_a_file_without_its_header_says_so_on_line_1(tmp_path):
    report = run_import(tmp_path, "ann,g,abi > gpus\nbob,g,gpus\n")
    assert "line 1: the header must be voter,group,ranking" in report


def test_voter_and_group_names_longer_than_they_can_be_stored_are_reported(tmp_path):
    text = HEADER + f"{'v' * 201},g,abi\nbob,{'g' * 201},abi\n{'w' * 200},{'h' * 200},abi\n"
    report = run_import(tmp_path, text, "--title", "Survey")
    assert "line 2: the voter name is 201 characters long; at most 200" in report
    assert "line 3: the group name is 201 characters long; at most 200" in report
    assert "line 4" not in report


def test_a_round_slug_or_title_that_cannot_be_stored_is_reported(tmp_path):
    file = tmp_path / "ballots.csv"
    file.write_text(HEADER + "ann,g,abi\n")
    for args, message in [
        (["--round", "x" * 101], "round slug is 101 characters long; at most 100"),
        (["--round", "not a slug"], "round slug may only hold"),
        (["--round", "ok", "--title", "t" * 201], "title is 201 characters long; at most 200"),
    ]:
        err = StringIO()
        with pytest.raises(CommandError, match="nothing imported"):
            call_command("import_ballots", str(file), *args, stderr=err)
        assert message in err.getvalue()
    assert not Round.objects.exists()


def test_a_long_bad_ranking_is_reported_briefly(tmp_path):
    report = run_import(tmp_path, HEADER + "ann,g," + "abi ! " * 10_000 + "\n")
    assert "line 2:" in report and len(report) < 2_000


def test_a_good_file_still_imports(tmp_path):
    file = tmp_path / "ballots.csv"
    file.write_bytes(("\ufeff" + HEADER + "zoë,Ümlaut group,abi > gpus\r\n").encode())
    out = StringIO()
    call_command(
        "import_ballots",
        str(file),
        "--round",
        "survey",
        "--opened",
        "2022-11-01",
        "--closed",
        "2022-12-01",
        stdout=out,
    )
    assert "Imported 1 ballots" in out.getvalue()
    ballot = Ballot.objects.get()
    assert ballot.voter_key == imported_voter_key(ballot.round, "zoë")
    assert ballot.group_name == "Ümlaut group"
