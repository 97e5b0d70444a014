"""Tags: read from the pages' front matter, counted on /tags/, merged by maintainers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.factories import make_editor, make_maintainer, make_topic, signed_in
from topics.importers.mkdocs import MkDocsImporter
from topics.models import Tag, Topic
from topics.services.tags import TagMergeRefused, merge_tags

pytestmark = pytest.mark.django_db


def write_site(folder: Path, pages: dict[str, str]) -> Path:
    """A MkDocs project whose nav lists `pages` in order."""
    (folder / "docs").mkdir(parents=True, exist_ok=True)
    config = {"site_name": "Tagged", "nav": list(pages)}
    (folder / "mkdocs.yml").write_text(yaml.safe_dump(config))
    for name, text in pages.items():
        (folder / "docs" / name).write_text(text)
    return folder


def tag_names(slug: str) -> list[str]:
    return sorted(Topic.objects.get(slug=slug).tags.names())


# --- Imported from Material's tags plugin ----------------------------------------------


def test_front_matter_tags_are_imported_and_shown_on_the_topic(client, tmp_path):
    write_site(tmp_path, {"abi.md": "---\ntags:\n  - ABI\n  - C++\n---\n\n# ABI\n\nText.\n"})
    MkDocsImporter(tmp_path).run()
    page = client.get("/topics/abi/").content.decode()
    assert 'href="/tags/abi/">abi</a>' in page and ">c++</a>" in page
    assert "tags:" not in page  # the front matter is not part of the text


def test_a_comma_separated_tags_line_is_read_too(tmp_path):
    write_site(tmp_path, {"gpus.md": "---\ntags: GPU, CUDA\n---\n\n# GPUs\n"})
    MkDocsImporter(tmp_path).run()
    assert tag_names("gpus") == ["cuda", "gpu"]


def test_the_imported_revision_carries_the_tags(tmp_path):
    write_site(tmp_path, {"abi.md": "---\ntags: [ABI]\n---\n\n# ABI\n"})
    MkDocsImporter(tmp_path).run()
    assert Topic.objects.get(slug="abi").current_revision.tags == "abi"


def test_a_tag_that_breaks_the_rules_is_reported_and_the_others_kept(tmp_path):
    write_site(tmp_path, {"abi.md": "---\ntags: [ABI, 'no/slashes']\n---\n\n# ABI\n"})
    report = MkDocsImporter(tmp_path).run()
    assert tag_names("abi") == ["abi"]
    assert any("abi.md" in problem and "no/slashes" in problem for problem in report.problems)


def test_changed_tags_in_the_file_replace_the_topics_tags_on_reimport(tmp_path):
    site = write_site(tmp_path, {"abi.md": "---\ntags: [ABI, C]\n---\n\n# ABI\n"})
    MkDocsImporter(site).run()
    write_site(site, {"abi.md": "---\ntags: [ABI, Wheels]\n---\n\n# ABI\n"})
    report = MkDocsImporter(site).run()
    assert tag_names("abi") == ["abi", "wheels"]
    assert report.pages_updated == 1
    assert Topic.objects.get(slug="abi").current_revision.tags == "abi, wheels"


def test_a_page_without_tags_keeps_the_tags_given_on_the_site_on_reimport(tmp_path):
    site = write_site(tmp_path, {"abi.md": "# ABI\n\nText.\n"})
    MkDocsImporter(site).run()
    Topic.objects.get(slug="abi").tags.set(["abi"])
    report = MkDocsImporter(site).run()
    assert tag_names("abi") == ["abi"]
    assert report.pages_unchanged == 1


# --- The tags page ---------------------------------------------------------------------


def test_the_tags_page_says_how_many_published_topics_carry_each_tag(client):
    make_topic(slug="one", tags=["abi", "gpu"])
    make_topic(slug="two", tags=["abi"])
    make_topic(slug="draft", tags=["abi", "secret"], status=Topic.Status.DRAFT)
    page = client.get("/tags/").content.decode()
    assert 'href="/tags/abi/">abi <span class="tag-count">(2<' in page
    assert 'href="/tags/gpu/">gpu <span class="tag-count">(1<' in page
    assert "secret" not in page  # only on a draft


def test_the_tags_page_says_so_when_there_are_none(client):
    assert "No tags yet." in client.get("/tags/").content.decode()


# --- One Tags in the admin, and merging ------------------------------------------------


def test_the_admin_lists_tags_once(staff):
    index = signed_in(staff).get("/admin/").content.decode()
    assert index.count(">Tags</a>") == 1
    assert "/admin/taggit/" not in index
    assert "/admin/topics/tag/" in index


def test_the_admin_tag_list_counts_topics(staff):
    make_topic(tags=["abi"])
    make_topic(tags=["abi"])
    page = signed_in(staff).get("/admin/topics/tag/").content.decode()
    assert '<td class="field-topic_count">2</td>' in page


def test_a_maintainer_merges_two_tags_in_the_admin_and_every_topic_keeps_one(client):
    make_topic(slug="a", tags=["py"])
    make_topic(slug="b", tags=["python"])
    make_topic(slug="c", tags=["py", "python"])
    chosen = Tag.objects.filter(name__in=["py", "python"]).values_list("pk", flat=True)
    response = signed_in(make_maintainer()).post(
        "/admin/topics/tag/",
        {"action": "merge_selected", "_selected_action": list(chosen), "into": "python"},
    )
    assert response.status_code == 302
    assert [tag_names(slug) for slug in "abc"] == [["python"], ["python"], ["python"]]
    assert client.get("/tags/py/").status_code == 404
    assert 'python <span class="tag-count">(3<' in client.get("/tags/").content.decode()


def test_without_a_name_the_tag_with_most_topics_is_kept():
    maintainer = make_maintainer()
    make_topic(tags=["wheel"])
    make_topic(tags=["wheels"])
    make_topic(tags=["wheels"])
    kept = merge_tags(tags=list(Tag.objects.all()), by=maintainer)
    assert kept.name == "wheels"
    assert list(Tag.objects.values_list("name", flat=True)) == ["wheels"]


def test_tags_can_be_merged_into_a_new_name():
    make_topic(slug="a", tags=["gpu"])
    make_topic(slug="b", tags=["cuda"])
    merge_tags(tags=list(Tag.objects.all()), into="GPUs", by=make_maintainer())
    assert tag_names("a") == tag_names("b") == ["gpus"]


def test_merging_needs_two_tags_and_a_valid_name():
    make_topic(tags=["abi"])
    with pytest.raises(TagMergeRefused, match="at least two"):
        merge_tags(tags=list(Tag.objects.all()), by=make_maintainer())
    make_topic(tags=["api"])
    with pytest.raises(TagMergeRefused, match="may use only"):
        merge_tags(tags=list(Tag.objects.all()), into="a/b", by=make_maintainer("mo"))


def test_an_editor_cannot_merge_tags_and_does_not_see_the_action():
    make_topic(tags=["py"])
    make_topic(tags=["python"])
    editor = make_editor()
    with pytest.raises(TagMergeRefused):
        merge_tags(tags=list(Tag.objects.all()), by=editor)
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["py", "python"]
