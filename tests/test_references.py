"""References worth reading: titles from the rendered link text, kinds, one reference per URL.

Every classification and title rule is checked on real URLs from the
pypackaging-native corpus, and the whole corpus is imported to check the
result as readers see it on /references/.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from tests.factories import make_topic
from topics.markdown import render
from topics.models import Citation, Reference, Topic
from topics.reference_kinds import (
    classify_url,
    is_generic_text,
    normalise_url,
    reference_key,
    reference_title,
    title_from_url,
)
from topics.services.content import save_topic

README = Path(__file__).resolve().parent.parent / "README.md"

# --- kinds: each rule on URLs the corpus cites --------------------------------


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://peps.python.org/pep-0517/", "pep"),
        ("https://peps.python.org/pep-0518", "pep"),
        ("https://github.com/benfogle/peps/blob/master/pep-9999.rst", "pep"),
        ("https://github.com/pypa/pip/issues/9140", "issue"),
        ("https://github.com/numpy/numpy/pull/16247", "issue"),
        ("https://github.com/scipy/scipy/issues/15050#issuecomment-975318631", "issue"),
        ("https://discuss.python.org/t/idea-selector-packages/4463", "forum"),
        ("https://discourse.nixos.org/t/nix-vs-language-package-manager/7099/4", "forum"),
        ("https://mail.python.org/pipermail/distutils-sig/2013-December/023238.html", "forum"),
        (
            "https://mail.python.org/archives/list/distutils-sig@python.org/thread/4TXZXRVYKFTPJSWSSBOU4AWODM7YHF6N/",
            "forum",
        ),  # noqa: E501
        ("https://lists.debian.org/debian-java/2012/03/msg00061.html", "forum"),
        ("https://twitter.com/zooba/status/1415440484181417998", "forum"),
        ("https://www.youtube.com/watch?v=AQsZsgJ30AE", "talk"),
        (
            "https://podcasts.apple.com/in/podcast/python-packaging-brett-cannon/id1029487211?i=1000520722142",
            "talk",
        ),  # noqa: E501
        ("https://conference.scipy.org/proceedings/scipy2015/pdfs/ian_henriksen.pdf", "paper"),
        ("https://tgamblin.github.io/pubs/archspec-canopie-hpc-2020.pdf", "paper"),
        ("https://www.manning.com/books/publishing-python-packages", "book"),
        ("https://py-pkgs.org/", "book"),
        ("https://en.wikipedia.org/wiki/Application_binary_interface", "article"),
        ("https://lwn.net/Articles/276782/", "article"),
        ("https://realpython.com/pypi-publish-python-package/", "article"),
        ("https://labs.quansight.org/blog/moving-scipy-to-meson", "blog"),
        ("https://pradyunsg.me/blog/2022/12/31/wheels-are-faster-pure-python/", "blog"),
        ("https://kevincox.ca/2013/10/18/language-specific-package-managers/", "blog"),
        ("https://medium.com/rapids-ai/rapids-0-7-release-drops-pip-packages-47fc966e9472", "blog"),
        ("https://snarky.ca/what-to-do-when-you-botch-a-release-on-pypi/", "blog"),
        (
            "https://web.archive.org/web/20210616203153/https://pav.iki.fi/blog/2017-10-08/pywingfortran.html",
            "blog",
        ),  # noqa: E501
        ("https://github.com/python/cpython/blob/main/README.rst#link-time-optimization", "docs"),
        # "CMakeLists.txt" is no mailing list.
        ("https://github.com/protocolbuffers/protobuf/blob/v21.12/CMakeLists.txt#L70", "docs"),
        ("https://docs.python.org/3/library/venv.html", "docs"),
        ("https://setuptools.pypa.io/en/latest/deprecated/easy_install.html", "docs"),
        ("https://spack.readthedocs.io/en/latest/containers.html#cuda", "docs"),
        ("https://packaging.python.org/en/latest/specifications/core-metadata/", "docs"),
        ("https://wiki.debian.org/CrossCompiling", "docs"),
        ("https://numpy.org/neps/nep-0029-deprecation_policy.html", "docs"),
        ("https://gcc.gnu.org/onlinedocs/libstdc++/manual/abi.html", "docs"),
        (
            "https://learn.microsoft.com/en-us/cpp/porting/binary-compat-2015-2017?view=msvc-170",
            "docs",
        ),  # noqa: E501
        ("https://pytorch.org/get-started/locally/", "docs"),
        ("https://nixos.org/guides/cross-compilation.html", "docs"),
        ("https://github.com/archspec/archspec", "project"),
        ("https://github.com/scipy/oldest-supported-numpy/", "project"),
        ("https://github.com/pytorch/pytorch/tree/master/third_party", "project"),
        ("https://gitlab.com/libtiff/libtiff", "project"),
        ("https://pypi.org/project/cupy-cuda102/", "project"),
        ("https://pypi.org/project/numpy/1.23.5/#files", "project"),
        ("https://anaconda.org/conda-forge/cudatoolkit", "project"),
        ("https://packages.ubuntu.com/jammy/nvidia-cuda-toolkit", "project"),
        ("https://archlinux.org/packages/extra/x86_64/cuda/", "project"),
        ("https://crates.io/", "project"),
        ("https://developer.nvidia.com/cudnn", "project"),
        ("https://numpy.org/", "project"),
        ("https://proj.org/index.html", "project"),
        ("https://www.anaconda.com/products/distribution", "project"),
        ("https://www.mpi-magdeburg.mpg.de/projects/flexiblas", "project"),
        ("https://godbolt.org/z/WT5Wa4bhq", "other"),
        ("https://pypi.org/stats/", "other"),
    ],
)
def test_a_corpus_url_gets_its_kind(url, kind):
    assert classify_url(url) == kind


def test_kinds_are_the_models_kinds():
    assert {classify_url("https://x.org/a"), "project", "article", "book"} <= set(
        Reference.Kind.values
    )


# --- one reference per URL ------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        "https://www.pymc.io/",
        "https://pymc.io",
        "https://www.pymc.io#section",
        "https://pymc.io/#section",
    ],
)
def test_urls_differing_by_slash_www_or_fragment_are_one_reference(variant):
    assert reference_key(variant) == reference_key("https://www.pymc.io")


def test_urls_differing_otherwise_are_different_references():
    assert reference_key("https://peps.python.org/pep-0517") != reference_key(
        "https://peps.python.org/pep-0518"
    )
    assert reference_key("https://x.org/?a=1") != reference_key("https://x.org/?a=2")


def test_the_stored_url_is_the_one_written_without_its_fragment():
    assert normalise_url(" https://www.lfd.uci.edu/~gohlke/pythonlibs/#gdal ") == (
        "https://www.lfd.uci.edu/~gohlke/pythonlibs/"
    )


# --- titles -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "url", "title"),
    [
        ("here", "https://peps.python.org/pep-0000/", "PEP 0"),
        ("518", "https://peps.python.org/pep-0518", "PEP 518"),
        (
            "here",
            "https://github.com/scipy/scipy/issues/10239#issuecomment-979373613",
            "scipy/scipy#10239",
        ),  # noqa: E501
        (
            "#203",
            "https://github.com/pypa/wheel/issues/203#issuecomment-622598330",
            "pypa/wheel#203",
        ),  # noqa: E501
        (
            "this thread",
            "https://discuss.python.org/t/requires-python-upper-limits/12663",
            "Requires python upper limits",
        ),  # noqa: E501
        (
            "this discussion thread",
            "https://discuss.python.org/t/pep-778-supporting-symlinks-in-wheels/53824",
            "PEP 778 supporting symlinks in wheels",
        ),  # noqa: E501
        (
            "here",
            "https://en.wikipedia.org/wiki/Calling_convention",
            "Wikipedia: Calling convention",
        ),  # noqa: E501
        (
            "here",
            "https://setuptools.pypa.io/en/latest/deprecated/easy_install.html",
            "setuptools.pypa.io/en/latest/deprecated/easy_install",
        ),  # noqa: E501
        ("here", "https://docs.conda.io/", "docs.conda.io"),
        ("GitHub repo", "https://github.com/xtensor-stack/xsimd", "xtensor-stack/xsimd"),
        (
            "on GitHub",
            "https://github.com/pypackaging-native/pypackaging-native",
            "pypackaging-native/pypackaging-native",
        ),  # noqa: E501
        ("PyPI package", "https://pypi.org/project/cuda-python", "cuda-python on PyPI"),
        (
            "pypi.org/project/numpy/1.5.1/#files",
            "https://pypi.org/project/numpy/1.5.1/#files",
            "numpy 1.5.1 on PyPI",
        ),  # noqa: E501
        ("python.org", "https://www.python.org/downloads/", "python.org/downloads"),
        (
            "Twitter thread",
            "https://twitter.com/zooba/status/1415440484181417998",
            "@zooba on Twitter",
        ),  # noqa: E501
        (
            "this blog post",
            "https://iscinumpy.dev/post/bound-version-constraints/",
            "iscinumpy.dev: Bound version constraints",
        ),  # noqa: E501
        ("translated", "https://godbolt.org/z/WT5Wa4bhq", "godbolt.org/z/WT5Wa4bhq"),
        (
            "make use",
            "https://github.com/python/cpython/blob/main/README.rst#link-time-optimization",
            "python/cpython: README.rst",
        ),  # noqa: E501
        # A longer text after "this" says more than a PDF's or a mailing list's address.
        (
            "this mailing list post by Wes McKinney",
            "https://lists.apache.org/thread/mxvp4mcx01mvox8jckgszyg0h65ddlkn",
            "Mailing list post by Wes McKinney",
        ),  # noqa: E501
        # Names are kept, even short or lower-case ones.
        ("mold", "https://github.com/rui314/mold", "mold"),
        (
            "protobuf",
            "https://developers.google.com/protocol-buffers/docs/news/2022-08-03#abseil-dep",
            "protobuf",
        ),  # noqa: E501
        ("iOS", "https://anaconda.org/beeware/repo", "iOS"),
        ("numba.cuda", "https://numba.pydata.org/", "numba.cuda"),
        ("crates.io", "https://crates.io/", "crates.io"),
        (
            '"repo data patching"',
            "https://conda-forge.org/docs/orga/guidelines.html#fixing-broken-packages",
            "repo data patching",
        ),  # noqa: E501
    ],
)
def test_a_corpus_link_text_becomes_a_title(text, url, title):
    assert reference_title(text, url) == title


@pytest.mark.parametrize("text", ["here", "Here", "this", "link", "this page", "click here"])
def test_generic_texts_are_recognised(text):
    assert is_generic_text(text, "https://example.org/guide/")


def test_a_title_from_a_url_without_words_is_its_site_and_path():
    assert title_from_url("https://example.org/a/b/index.html") == "example.org/a/b"


def test_link_text_with_inline_code_is_read_without_placeholders():
    rendered = render("The [`archspec`](https://github.com/archspec/archspec) library.")
    assert [(link.text, link.context) for link in rendered.links] == [
        ("archspec", "The archspec library.")
    ]


def test_link_text_with_entities_and_html_is_read_as_shown():
    rendered = render("[A &amp; <b>B</b> `c`](https://example.org/x)")
    assert rendered.links[0].text == "A & B c"


def test_a_links_context_is_its_own_sentence():
    body = "Setuptools is here. For the details, see [here](https://setuptools.pypa.io/). Done."
    assert render(body).links[0].context == "For the details, see here."


def test_a_table_rows_first_cell_says_what_a_link_in_it_is_about():
    body = (
        "| Term | Meaning |\n|---|---|\n| sdist | An archive. [See here](https://x.org/sdist) |\n"
    )
    assert render(body).links[0].context == "sdist — An archive. See here"


# --- saving topics ---------------------------------------------------------------


@pytest.mark.django_db
def test_one_reference_per_url_whatever_slash_www_or_fragment():
    body = (
        "[PyMC](https://www.pymc.io) and [again](https://pymc.io/#x) and "
        "[once more](https://www.pymc.io/)."
    )
    topic = make_topic(slug="a", body=body)
    other = make_topic(slug="b", body="[PyMC](https://pymc.io)")
    assert Reference.objects.count() == 1
    reference = Reference.objects.get()
    assert reference.url == "https://www.pymc.io" and reference.title == "PyMC"
    assert set(reference.topics.all()) == {topic, other}


@pytest.mark.django_db
def test_a_generic_link_gets_a_title_from_its_url_and_keeps_its_sentence():
    make_topic(
        slug="a", body="Eggs were the old format (see [here](https://peps.python.org/pep-0427/))."
    )
    reference = Reference.objects.get()
    assert (reference.title, reference.kind) == ("PEP 427", "pep")
    citation = Citation.objects.get()
    assert citation.text == "here"
    assert citation.context == "Eggs were the old format (see here)."


@pytest.mark.django_db
def test_the_first_text_that_names_a_reference_is_its_title():
    body = "See [this thread](https://discuss.python.org/t/x-y/1) and [the X thread](https://discuss.python.org/t/x-y/1)."  # noqa: E501
    make_topic(slug="a", body=body)
    assert Reference.objects.get().title == "the X thread"


@pytest.mark.django_db
def test_saving_repairs_titles_with_placeholders_and_guesses_kinds_left_as_other():
    broken = Reference.objects.create(
        url="https://github.com/archspec/archspec", title="\x02wzxhzdk:4\x03", kind="other"
    )
    kept = Reference.objects.create(
        url="https://numpy.org/", title="The NumPy project", kind="docs"
    )
    make_topic(
        slug="a",
        body="[`archspec`](https://github.com/archspec/archspec) and [NumPy](https://numpy.org/)",
    )
    broken.refresh_from_db()
    kept.refresh_from_db()
    assert (broken.title, broken.kind) == ("archspec", "project")
    assert (kept.title, kept.kind) == ("The NumPy project", "docs")


@pytest.mark.django_db
def test_resaving_a_topic_keeps_its_citations_and_updates_their_sentence():
    topic = make_topic(slug="a", body="See [PEP 517](https://peps.python.org/pep-0517/).")
    topic.body = "Now read [PEP 517](https://peps.python.org/pep-0517/) first."
    save_topic(topic=topic)
    citation = Citation.objects.get()
    assert citation.context == "Now read PEP 517 first."


# --- the real corpus ----------------------------------------------------------------


def readme_kind_table() -> dict[str, int]:
    """The reference-kind table in the README's import section: kind -> count."""
    text = README.read_text()
    section = text[text.index("## Import a MkDocs site") :]
    rows = re.findall(r"^ *\| `(\w+)` \| [^|]+\| (\d+) \|$", section, re.M)
    return {kind: int(count) for kind, count in rows}


@pytest.mark.django_db
class TestCorpusReferences:
    def test_no_title_carries_python_markdowns_placeholders(self, corpus):
        titles = list(Reference.objects.values_list("title", flat=True))
        assert titles
        assert not [t for t in titles if re.search(r"[\x02\x03]|wzxhzdk|klzzwxh", t)]

    def test_no_title_is_a_generic_text(self, corpus):
        generic = [r.title for r in Reference.objects.all() if is_generic_text(r.title, r.url)]
        assert not [t for t in generic if t.lower() in {"here", "this", "link", "this page"}]
        assert Reference.objects.filter(title__iexact="here").count() == 0

    def test_at_most_15_percent_of_references_are_other(self, corpus):
        kinds = Counter(Reference.objects.values_list("kind", flat=True))
        assert kinds["other"] <= 0.15 * sum(kinds.values())

    def test_no_two_references_are_the_same_url(self, corpus):
        keys = Counter(
            reference_key(url) for url in Reference.objects.values_list("url", flat=True)
        )
        assert [key for key, count in keys.items() if count > 1] == []

    def test_the_readme_table_is_what_the_import_gives(self, corpus):
        kinds = Counter(Reference.objects.values_list("kind", flat=True))
        assert readme_kind_table() == dict(kinds)

    def test_the_references_page_shows_readable_titles(self, corpus, client):
        page = client.get("/references/").content.decode()
        assert "wzxhzdk" not in page and "\x02" not in page
        assert ">here<" not in page
        assert "Project or package" in page

    def test_here_links_keep_their_sentence(self, corpus):
        topic = Topic.objects.get(source_path="glossary.md")
        citation = topic.citations.get(reference__url="https://toml.io")
        assert citation.text == "here"
        assert "Configuration language chosen for pyproject.toml" in citation.context
        assert citation.reference.title == "toml.io"

    def test_archspec_is_titled_by_its_code_name(self, corpus):
        assert Reference.objects.get(url="https://github.com/archspec/archspec").title == "archspec"


@pytest.mark.django_db
def test_an_accepted_suggestion_of_a_source_already_cited_under_another_form_cites_that_one():
    from tests.factories import make_editor, make_stakeholder, published_topic
    from topics.services import contributions

    cited = published_topic(body="See [the guide](https://www.example.org/guide/).")
    other = published_topic()
    suggestion = contributions.suggest_reference(
        author=make_stakeholder(),
        topic=other,
        url="https://example.org/guide#install",
        title="A guide",
        kind="documentation",
    )
    contributions.review_reference_suggestion(suggestion=suggestion, by=make_editor(), accept=True)
    reference = Reference.objects.get()
    assert reference.url == "https://www.example.org/guide/"
    assert set(Citation.objects.values_list("topic_id", "reference_id")) == {
        (cited.pk, reference.pk),
        (other.pk, reference.pk),
    }


@pytest.mark.django_db
def test_a_references_admin_page_lists_where_it_is_cited_with_the_sentence():
    from tests.factories import count_queries, make_maintainer, signed_in

    body = "Backends are chosen as [PEP 517](https://peps.python.org/pep-0517/) says. Other text."
    make_topic(title="Wheels", slug="wheels", body=body)
    reference = Reference.objects.get(url="https://peps.python.org/pep-0517/")
    maintainer = signed_in(make_maintainer())
    url = f"/admin/topics/reference/{reference.pk}/change/"
    page = maintainer.get(url).content.decode()
    assert "Cited in" in page and "Wheels" in page
    assert "Backends are chosen as PEP 517 says." in page  # the sentence around the link
    # Kept in step with the bodies, so not added, removed or edited here.
    assert 'value="0" id="id_citations-MAX_NUM_FORMS"' in page
    assert "citations-0-DELETE" not in page and 'name="citations-0-context"' not in page
    one = count_queries(maintainer, url)
    for number in range(5):
        make_topic(title=f"Topic {number}", slug=f"topic-{number}", body=body)
    assert count_queries(maintainer, url) == one


@pytest.mark.django_db
def test_a_topics_admin_page_costs_the_same_queries_for_one_citation_or_many():
    """Each row comes with its topic and reference, and its reference box names the one
    it holds without a query of its own (were 3 queries a row)."""
    from tests.factories import count_queries, make_maintainer, signed_in

    topic = make_topic(title="Wheels", slug="wheels", body="[One](https://example.org/0).")
    maintainer = signed_in(make_maintainer())
    url = f"/admin/topics/topic/{topic.pk}/change/"
    one = count_queries(maintainer, url)
    topic.body = " ".join(f"[Link {n}](https://example.org/{n})." for n in range(8))
    save_topic(topic=topic)
    assert topic.citations.count() == 8
    assert count_queries(maintainer, url) == one
    page = maintainer.get(url).content.decode()
    for citation in topic.citations.select_related("reference"):
        selected = f'<option value="{citation.reference_id}" selected>{citation.reference.title}'
        assert selected in page, citation.reference.title


@pytest.mark.django_db
def test_an_address_typed_without_its_scheme_in_the_admin_is_taken_as_https():
    from tests.factories import make_maintainer, make_reference, signed_in

    reference = make_reference(title="Guide")
    response = signed_in(make_maintainer()).post(
        f"/admin/topics/reference/{reference.pk}/change/",
        {
            "url": "packaging.python.org/guide",
            "title": "Guide",
            "kind": reference.kind,
            "created_at_0": "2026-01-05",
            "created_at_1": "10:00:00",
            "citations-TOTAL_FORMS": "0",
            "citations-INITIAL_FORMS": "0",
            "citations-MIN_NUM_FORMS": "0",
            "citations-MAX_NUM_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    reference.refresh_from_db()
    assert reference.url == "https://packaging.python.org/guide"
