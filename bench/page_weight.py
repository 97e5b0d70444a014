"""The first-view weight of a topic page: its HTML, stylesheets and scripts, gzip-compressed.

Usage: python bench/page_weight.py [PATH] [CORPUS_DIR]
    PATH        the page to weigh (default /topics/simd-support/, the corpus's SIMD page)
    CORPUS_DIR  the MkDocs site imported first (default ../shared/corpora/pypackaging-native)

It imports the corpus into a throw-away SQLite database, collects the static files into
a throw-away folder, asks for the page as an anonymous reader would (through the whole
middleware, WhiteNoise included), then for every stylesheet and script the page links,
and prints each with its size as sent and gzip-compressed (level 6, a common server
setting). Images are left out: they load as the reader scrolls, and only if shown.
"""

import gzip
import os
import re
import sys
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PATH = sys.argv[1] if len(sys.argv) > 1 else "/topics/simd-support/"
CORPUS = (
    Path(sys.argv[2])
    if len(sys.argv) > 2
    else BASE_DIR.parent / "shared" / "corpora" / "pypackaging-native"
)
GOAL_KB = 35
LINKED = re.compile(r'<(?:link rel="stylesheet"|script)[^>]*? (?:href|src)="([^"]+)"')


def weigh(client, path: str) -> tuple[int, int]:
    """Bytes as sent (uncompressed) and gzip-compressed at level 6."""
    response = client.get(path)
    assert response.status_code == 200, f"{path} answered {response.status_code}"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return len(body), len(gzip.compress(body, compresslevel=6, mtime=0))


def main() -> None:
    if not (CORPUS / "mkdocs.yml").is_file():
        sys.exit(f"No MkDocs site at {CORPUS}: give one, e.g. python {sys.argv[0]} {PATH} DIR")
    with tempfile.TemporaryDirectory() as folder:
        os.environ.update(
            DATA_DIR=folder,
            MEDIA_ROOT=f"{folder}/media",
            STATIC_ROOT=f"{folder}/static",
            DATABASE_URL=f"sqlite:///{folder}/weight.sqlite3",
            SILENCED_SYSTEM_CHECKS="topics.W001",
        )
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kb.settings")
        sys.path.insert(0, str(BASE_DIR))
        import django

        django.setup()
        from django.core.management import call_command
        from django.test import Client

        from topics.importers.mkdocs import MkDocsImporter

        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        MkDocsImporter(CORPUS).run()

        client = Client()
        html = client.get(PATH).content.decode()
        rows = [(PATH, *weigh(client, PATH))]
        rows += [(url, *weigh(client, url)) for url in LINKED.findall(html)]

    width = max(len(url) for url, _, _ in rows)
    print(f"{'first view of ' + PATH:<{width}}  {'as sent':>9}  {'gzip -6':>9}")
    for url, raw, packed in rows:
        print(f"{url:<{width}}  {raw / 1024:>6.1f} KB  {packed / 1024:>6.1f} KB")
    raw, packed = sum(row[1] for row in rows), sum(row[2] for row in rows)
    print(f"{'total':<{width}}  {raw / 1024:>6.1f} KB  {packed / 1024:>6.1f} KB")
    print(
        f"goal: {GOAL_KB} KB or less compressed: {'met' if packed <= GOAL_KB * 1024 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
