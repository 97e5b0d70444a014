"""Settings for the knowledge base, read from the environment.

Every value that differs between a laptop and production comes from an
environment variable with a safe default for local use; the README lists
them all. With ``KB_ENV=production`` the defaults tighten and the values
that have no safe default (``SECRET_KEY``, ``ALLOWED_HOSTS``) are required.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """Return the environment variable `name`, or `default` when unset or empty."""
    return os.environ.get(name, "").strip() or default


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean environment variable (1/true/yes/on, case-insensitive)."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}.")


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated list from the environment."""
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


KB_ENV = env("KB_ENV", "development")
if KB_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"KB_ENV must be 'development' or 'production', not {KB_ENV!r}.")
PRODUCTION = KB_ENV == "production"

DEBUG = env_bool("DEBUG", default=not PRODUCTION)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when KB_ENV=production: set it to a long random string "
            '(python -c "import secrets; print(secrets.token_urlsafe(50))").'
        )
    SECRET_KEY = "development-only-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is required when KB_ENV=production (comma-separated host names)."
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "taggit",
    "markdownx",
    "axes",
    "csp",
    "topics",
]

MIDDLEWARE = [
    # First: the client's address and the body size are settled before anything reads them.
    "topics.request_limits.ClientAddressMiddleware",
    "topics.request_limits.RequestSizeLimitMiddleware",
    "topics.middleware.HealthCheckMiddleware",
    # Which database this request reads (with DATABASE_REPLICA_URL): before any query.
    "topics.middleware.ReadReplicaMiddleware",
    "topics.middleware.RejectNulMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A renamed topic's old addresses: a 404 there becomes a 301 to the new slug.
    "topics.middleware.OldTopicAddressMiddleware",
    # Sign-in, password and admin writes limited by URL name; every refusal a 429 page.
    "topics.rate_limits.RateLimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kb.urls"
WSGI_APPLICATION = "kb.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "topics.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# SQLite file by default (zero set-up); PostgreSQL when DATABASE_URL names one.
DATA_DIR = Path(env("DATA_DIR", str(BASE_DIR / "var")))
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("CONN_MAX_AGE", "60")),
        # A connection PostgreSQL dropped (a restart) is replaced at the next request's first query.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers proceed while a writer commits (gunicorn runs
        # several processes); IMMEDIATE avoids "database is locked" on upgrade.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif env_bool("DATABASE_POOL", default=False):
    # psycopg's pool manages connections itself; Django requires CONN_MAX_AGE=0 with it.
    DATABASES["default"]["OPTIONS"] = {"pool": {"min_size": 2, "max_size": 10}}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
# A streaming replica of the same database (PostgreSQL), for the anonymous readers'
# reads: kb/db_router.py says which requests read it, and falls back to the primary.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **dj_database_url.parse(
            DATABASE_REPLICA_URL,
            conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
            conn_health_checks=DATABASES["default"]["CONN_HEALTH_CHECKS"],
        ),
        # Tests read the primary's test database through this alias; none is created here.
        "TEST": {"MIRROR": "default"},
    }
    # A replica that is down costs a request at most this long, then is avoided a while.
    DATABASES["replica"]["OPTIONS"] = {
        "connect_timeout": int(env("DATABASE_REPLICA_CONNECT_TIMEOUT", "2")),
    }
    if "pool" in DATABASES["default"].get("OPTIONS", {}):
        DATABASES["replica"]["OPTIONS"]["pool"] = DATABASES["default"]["OPTIONS"]["pool"]
    DATABASE_ROUTERS = ["kb.db_router.ReplicaRouter"]
# After a write (any POST, a sign-in), the client reads the primary for this long.
KB_REPLICA_PIN_SECONDS = int(env("KB_REPLICA_PIN_SECONDS", "5"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------
# Local memory by default (per process!); Redis when CACHE_URL or REDIS_URL is set.
CACHE_URL = env("CACHE_URL") or env("REDIS_URL")
if CACHE_URL:
    CACHES = {
        "default": {
            # RedisCache that answers from process memory while Redis is unreachable.
            "BACKEND": "kb.cache.TolerantRedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "kb"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Shared HTTP caches in front of the site (Varnish, deploy/varnish.vcl) that every
# content change purges by tag, e.g. http://127.0.0.1:6081 (topics/http_cache.py).
KB_HTTP_CACHE_PURGE = env_list("KB_HTTP_CACHE_PURGE")

# --- Auth, sessions, brute-force protection ---------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "account_contributions"
LOGOUT_REDIRECT_URL = "home"
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
# Lock the (username, IP) pair: a shared NAT cannot lock everyone out, and a
# single attacker cannot lock out a victim from the victim's own address.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = timedelta(minutes=int(env("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# No "AXES: BEGIN version…" banner on every command; lock-outs are still logged as warnings.
AXES_VERBOSE = False
RATELIMIT_USE_CACHE = "default"
# Sign-in attempts (site and admin) per address, whatever the username: password
# hashing is costly, and axes only locks one (username, address) pair at a time.
KB_SIGN_IN_RATE = env("KB_SIGN_IN_RATE", "20/m")
KB_ADMIN_WRITE_RATE = env("KB_ADMIN_WRITE_RATE", "600/h")
# Operators who knowingly run one process without Redis may silence topics.W001 here.
SILENCED_SYSTEM_CHECKS = env_list("SILENCED_SYSTEM_CHECKS")
# The header holding the client's address when a trusted front overwrites it (start.sh
# sets X-Real-IP for gunicorn behind its nginx); unset: the socket's peer address.
KB_CLIENT_ADDRESS_HEADER = env("KB_CLIENT_ADDRESS_HEADER")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media files -------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed names; `collectstatic` must run before serving (make run/test do).
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_MAX_AGE = 3600

# --- Markdown editor (django-markdownx) -------------------------------------
# The preview renders with the same function that renders published pages.
MARKDOWNX_MARKDOWNIFY_FUNCTION = "topics.markdown.markdownify"
MARKDOWNX_MEDIA_PATH = "uploads/"
MARKDOWNX_UPLOAD_MAX_SIZE = int(env("UPLOAD_MAX_BYTES", str(3 * 1024 * 1024)))
# A body declared larger is refused (413) before it is read; start.sh's nginx applies
# the same limit. The default fits an image and its form, and a whole Markdown body too
# (a character is at most 12 bytes URL-encoded: 3.6 MB for KB_MAX_BODY_CHARS' default).
KB_MAX_REQUEST_BYTES = int(
    env("KB_MAX_REQUEST_BYTES", str(MARKDOWNX_UPLOAD_MAX_SIZE + 2 * 1024 * 1024))
)
DATA_UPLOAD_MAX_MEMORY_SIZE = KB_MAX_REQUEST_BYTES
MARKDOWNX_UPLOAD_CONTENT_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"]
MARKDOWNX_IMAGE_MAX_SIZE = {"size": (2000, 2000), "quality": 90}
MARKDOWNX_SVG_JAVASCRIPT_PROTECTION = True

# Bodies beyond this are refused before rendering (pathological input is slow).
KB_MAX_BODY_CHARS = int(env("KB_MAX_BODY_CHARS", "300000"))
# Every render runs in a child process stopped after this many seconds (and
# at this much memory), whatever the text: see topics/render_worker.py.
KB_RENDER_TIMEOUT = float(env("KB_RENDER_TIMEOUT", "0.6"))
# Imports (manage.py import_mkdocs) run from the command line: each page may take this long.
KB_IMPORT_RENDER_TIMEOUT = float(env("KB_IMPORT_RENDER_TIMEOUT", "10"))
KB_RENDER_MEMORY_MB = int(env("KB_RENDER_MEMORY_MB", "1024"))

# --- Tags --------------------------------------------------------------------
TAGGIT_CASE_INSENSITIVE = True
TAGGIT_TAGS_FROM_STRING = "topics.tagging.parse_tags"

# --- Site --------------------------------------------------------------------
KB_SITE_NAME = env("KB_SITE_NAME", "Curated knowledge base")
# Used in links inside emails (requests build their own absolute URLs).
KB_SITE_URL = env("KB_SITE_URL", "http://127.0.0.1:8000")
# Topics whose last review is older than this many days are flagged to readers.
KB_REVIEW_PERIOD_DAYS = int(env("KB_REVIEW_PERIOD_DAYS", "365"))
# A stakeholder group's own results are shown only with at least this many ballots;
# smaller groups are merged into "Other groups" (one ballot would be one person's vote).
KB_VOTING_MIN_GROUP_BALLOTS = int(env("KB_VOTING_MIN_GROUP_BALLOTS", "3"))

# --- Email ------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "kb@localhost")

# --- Security headers -------------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # The admin uses a few inline style attributes; no user HTML keeps `style`.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
