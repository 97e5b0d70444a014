# Production image: nginx in front of gunicorn (scripts/start.sh; KB_FRONT=none for
# gunicorn alone behind a buffering load balancer, as docker-compose.yml runs it), static
# files from whitenoise. Builds with docker and with podman (podman build --format docker,
# which keeps the HEALTHCHECK; scripts/podman_setup.sh on a machine without a registry).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    KB_ENV=production \
    DATA_DIR=/data \
    MEDIA_ROOT=/data/media \
    STATIC_ROOT=/app/staticfiles \
    PORT=8000

# nginx runs as the kb user too: start.sh gives it a private folder for its pid,
# temporary files and configuration, and port 8000. Varnish for KB_HTTP_CACHE=varnish;
# the PostgreSQL client (pg_dump, psql) is Debian bookworm's 15, the server's version.
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx varnish postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# /data/media exists in the image, owned by kb, so a fresh named volume mounted there
# (docker-compose.yml's shared media) starts with that owner too.
RUN useradd --create-home --uid 10001 kb && mkdir -p /data/media && chown -R kb:kb /data

# Dependencies first, in a layer of their own: a change to the code (or the README)
# rebuilds from the next step on and downloads nothing.
COPY pyproject.toml ./
RUN pip install --upgrade pip \
    && python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" >/tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt && rm /tmp/requirements.txt
COPY README.md ./
COPY kb kb
COPY topics topics
RUN pip install --no-deps .
COPY manage.py ./
COPY templates templates
COPY static static
COPY scripts scripts
COPY deploy deploy

# Collect at build time too, so the image serves hashed, compressed files even
# from a read-only filesystem; start.sh collects again (a no-op) for bind mounts.
RUN SECRET_KEY=build-only ALLOWED_HOSTS=build python manage.py collectstatic --noinput \
    && chown -R kb:kb /app/staticfiles

USER kb
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,os; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'))"
CMD ["sh", "scripts/start.sh"]
