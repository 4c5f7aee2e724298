"""Settings for alpsbio, driven by environment variables.

Development needs no configuration at all: SQLite (WAL) in ``var/``, console e-mail, debug on.
Production (``ALPSBIO_ENV=production``) refuses to start unless the secret key, allowed hosts,
database and e-mail are set explicitly, so a forgotten variable fails loudly at boot instead of
silently running with a development default.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

SRC_DIR = Path(__file__).resolve().parent.parent  # src/alpsbio
PROJECT_DIR = SRC_DIR.parent.parent  # the checkout
VAR_DIR = Path(os.environ.get("ALPSBIO_VAR_DIR", PROJECT_DIR / "var"))

ENVIRONMENT = os.environ.get("ALPSBIO_ENV", "development")
if ENVIRONMENT not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"ALPSBIO_ENV must be development, test or production, not {ENVIRONMENT!r}"
    )
PRODUCTION = ENVIRONMENT == "production"


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when ALPSBIO_ENV=production")
    return value


def _setting(name: str, dev_default: str) -> str:
    return _required(name) if PRODUCTION else os.environ.get(name, dev_default)


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


SECRET_KEY = _setting("ALPSBIO_SECRET_KEY", "dev-only-insecure-key-never-use-in-production")
DEBUG = _bool("ALPSBIO_DEBUG", not PRODUCTION)
ALLOWED_HOSTS = [
    h.strip()
    for h in _setting("ALPSBIO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("ALPSBIO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "alpsbio.core",
    "alpsbio.accounts",
    "alpsbio.directory",
    "alpsbio.matching",
    "alpsbio.events",
    "alpsbio.survey",
    "alpsbio.funding",
    "alpsbio.portal",
    "alpsbio.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "alpsbio.config.urls"
WSGI_APPLICATION = "alpsbio.config.wsgi.application"
ASGI_APPLICATION = "alpsbio.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SRC_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "alpsbio.core.context_processors.platform",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
_SQLITE_PATH = VAR_DIR / "alpsbio.sqlite3"
DATABASE_URL = _setting("DATABASE_URL", f"sqlite:///{_SQLITE_PATH}")
_db: dict[str, Any] = dict(dj_database_url.parse(DATABASE_URL, conn_max_age=60))
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {
        # WAL lets readers run while one writer commits; IMMEDIATE takes the write lock at BEGIN
        # so two writers queue instead of failing with "database is locked" mid-transaction.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=10000; PRAGMA cache_size=-64000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    if _db["NAME"] and _db["NAME"] != ":memory:":
        Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
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
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:home"
# Lockout after repeated failed logins (per username + IP), lifted after an hour.
AXES_FAILURE_LIMIT = int(os.environ.get("ALPSBIO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_ENABLED = _bool("ALPSBIO_AXES_ENABLED", True)

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_URL = _setting("ALPSBIO_EMAIL_URL", "console://")
if EMAIL_URL.startswith("console://"):
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
elif EMAIL_URL.startswith("locmem://"):
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
elif EMAIL_URL.startswith(("smtp://", "smtps://", "submission://")):
    from urllib.parse import unquote, urlparse

    _mail = urlparse(EMAIL_URL)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _mail.hostname or "localhost"
    EMAIL_PORT = _mail.port or (465 if _mail.scheme == "smtps" else 587)
    EMAIL_HOST_USER = unquote(_mail.username or "")
    EMAIL_HOST_PASSWORD = unquote(_mail.password or "")
    EMAIL_USE_SSL = _mail.scheme == "smtps"
    EMAIL_USE_TLS = _mail.scheme == "submission"
else:
    raise ImproperlyConfigured(
        "ALPSBIO_EMAIL_URL must start with console://, locmem://, smtp://, smtps:// or submission://"
    )
DEFAULT_FROM_EMAIL = os.environ.get("ALPSBIO_FROM_EMAIL", "Alps Bio Cluster <noreply@localhost>")

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French")), ("it", _("Italian")), ("de", _("German"))]
LOCALE_PATHS = [SRC_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Zurich"

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing root
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("ALPSBIO_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# --- Background tasks -----------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get("ALPSBIO_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag instead
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("ALPSBIO_HSTS_SECONDS", "31536000"))

# --- Platform -------------------------------------------------------------------------------
# The public address, for absolute links in e-mails (invitations, digests, resets by task).
SITE_URL = _setting("ALPSBIO_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
ALPSBIO_SITE_URL = SITE_URL
# Where the real public data lives (the shared data folder next to the checkout by default).
ALPSBIO_DATA_DIR = Path(os.environ.get("ALPSBIO_DATA_DIR", PROJECT_DIR.parent / "shared" / "data"))
ALPSBIO_SEED_PATH = SRC_DIR / "directory" / "seed" / "demo.json.gz"

# Matching: which sentence encoder ("auto" picks the best installed, "tfidf" the model-free
# fallback), how many new texts a request may embed inline (more go to a task), how often a
# process checks for edits, and whether the index is built in a thread on first use.
MATCHING_ENCODER = os.environ.get("ALPSBIO_MATCHING_ENCODER", "auto")
MATCHING_INLINE_EMBED_LIMIT = int(os.environ.get("ALPSBIO_MATCHING_INLINE_EMBED_LIMIT", "200"))
# Above this many profiles with vectors, suggestions score an HNSW index's neighbours only.
MATCHING_ANN_MIN_PROFILES = int(os.environ.get("ALPSBIO_MATCHING_ANN_MIN_PROFILES", "10000"))
# Seconds of embedding per background run; the next run queues behind other tasks.
MATCHING_EMBED_TASK_SECONDS = float(os.environ.get("ALPSBIO_MATCHING_EMBED_TASK_SECONDS", "60"))
MATCHING_REFRESH_SECONDS = float(os.environ.get("ALPSBIO_MATCHING_REFRESH_SECONDS", "1"))
MATCHING_WARM_IN_BACKGROUND = True
# The built matching index on disk (signed), loaded by new processes in seconds; "" turns it
# off. Up to MATCHING_SYNC_BUILD_LIMIT profiles a request builds the index itself (seconds).
MATCHING_SNAPSHOT_DIR = os.environ.get("ALPSBIO_MATCHING_SNAPSHOT_DIR", str(VAR_DIR / "cache"))
MATCHING_SYNC_BUILD_LIMIT = int(os.environ.get("ALPSBIO_MATCHING_SYNC_BUILD_LIMIT", "5000"))

# Directory search: filters, facet counts and sorting over an in-memory index per process
# (directory/facet_index.py). After a change it is rebuilt inside the request up to this many
# organisations, above that in a background thread while searches are answered in SQL.
DIRECTORY_FACET_INDEX = os.environ.get("ALPSBIO_FACET_INDEX", "1") == "1"
DIRECTORY_FACET_INDEX_SYNC_LIMIT = int(os.environ.get("ALPSBIO_FACET_INDEX_SYNC_LIMIT", "20000"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ALPSBIO_LOG_LEVEL", "WARNING")},
    "loggers": {"alpsbio": {"level": os.environ.get("ALPSBIO_LOG_LEVEL", "INFO")}},
}
