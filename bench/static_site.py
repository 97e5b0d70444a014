"""A WSGI application serving a folder of saved pages through WhiteNoise, as static files.

bench/bench_speed.py runs it under the same gunicorn as the site (`gunicorn
bench.static_site:application`, STATIC_SITE_ROOT naming the folder), so the
same HTML bytes are measured as static files and as pages.
"""

import os

from whitenoise import WhiteNoise


def not_found(environ, start_response):
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"Not found.\n"]


application = WhiteNoise(
    not_found, root=os.environ["STATIC_SITE_ROOT"], index_file=True, autorefresh=False
)
