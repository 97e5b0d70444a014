# Production image: gunicorn behind a load balancer, static files from whitenoise.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    KB_ENV=production \
    DATA_DIR=/data \
    MEDIA_ROOT=/data/media \
    STATIC_ROOT=/app/staticfiles \
    PORT=8000

WORKDIR /app
RUN useradd --create-home --uid 10001 kb && mkdir -p /data && chown kb:kb /data

COPY pyproject.toml README.md ./
COPY kb kb
COPY topics topics
RUN pip install --upgrade pip && pip install .
COPY manage.py ./
COPY templates templates
COPY static static
COPY scripts scripts

# Collect at build time too, so the image serves hashed, compressed files even
# from a read-only filesystem; start.sh collects again (a no-op) for bind mounts.
RUN SECRET_KEY=build-only ALLOWED_HOSTS=build python manage.py collectstatic --noinput \
    && chown -R kb:kb /app/staticfiles

USER kb
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,os; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'))"
CMD ["sh", "scripts/start.sh"]
