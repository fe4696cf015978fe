"""CareLoop settings: one module, configured by environment variables only.

The embedded default (no variable set) runs on SQLite under ``var/`` with keys generated
into ``var/dev-keys.json`` on first use. Production sets at least ``CARELOOP_SECRET_KEY``,
``CARELOOP_FIELD_KEY``, ``ALLOWED_HOSTS`` and ``CARELOOP_HTTPS=1``; ``careloop check
--deploy`` then reports no issue.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent


# ---- typed helpers: a wrong value fails loudly at start-up -------------------------------


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DATA_DIR = Path(env_str("CARELOOP_DATA_DIR", str(PROJECT_DIR / "var"))).resolve()


def _dev_keys() -> dict[str, str]:
    """Keys for the embedded mode, generated once under DATA_DIR and never committed."""
    from cryptography.fernet import Fernet

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / "dev-keys.json"
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())
        return stored
    keys = {
        "secret_key": secrets.token_urlsafe(50),
        "field_key": Fernet.generate_key().decode(),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(keys, handle)
    return keys


_secret_from_env = env_str("CARELOOP_SECRET_KEY")
_field_from_env = env_str("CARELOOP_FIELD_KEY")
USING_DEV_KEYS = not (_secret_from_env and _field_from_env)
_dev = _dev_keys() if USING_DEV_KEYS else {}

SECRET_KEY = _secret_from_env or _dev["secret_key"]
# Comma-separated Fernet keys: the first encrypts, all decrypt (rotation: prepend a new key,
# run `careloop rotate-field-key`, then drop the old one).
CARELOOP_FIELD_KEYS = env_list("CARELOOP_FIELD_KEY", [_dev.get("field_key", "")])

DEBUG = env_bool("CARELOOP_DEBUG", False)
HTTPS = env_bool("CARELOOP_HTTPS", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "ninja",
    "huey.contrib.djhuey",
    "careloop.core",
    "careloop.residents",
    "careloop.observations",
    "careloop.fhir",
    "careloop.catalogue",
    "careloop.matching",
    "careloop.demands",
    "careloop.analytics",
    "careloop.notifications",
    "careloop.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "careloop.core.middleware.LocaleMiddleware",
    "careloop.core.middleware.NulCharacterMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "careloop.core.middleware.RequestContextMiddleware",
    "careloop.core.middleware.ElderModeMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "careloop.urls"
WSGI_APPLICATION = "careloop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "careloop.core.context_processors.careloop",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'careloop.sqlite3'}"),
        conn_max_age=env_int("CARELOOP_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the job consumer work side by side; IMMEDIATE
    # transactions make writers queue instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout (django-axes): 5 failures for one username from one address lock it for 15 min.
AXES_FAILURE_LIMIT = env_int("CARELOOP_LOCKOUT_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("CARELOOP_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "careloop.core.auth.lockout_response"
AXES_VERBOSE = False

# Sessions and cookies.
SESSION_COOKIE_AGE = env_int("CARELOOP_SESSION_SECONDS", 8 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("CARELOOP_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("CARELOOP_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy: no inline script, no third-party origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Internationalisation: Chinese first.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("CARELOOP_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if env_bool("CARELOOP_TESTING")
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = env_bool("CARELOOP_TESTING") or DEBUG

# Background jobs (Huey): SQLite file by default, Redis when REDIS_URL is set.
REDIS_URL = env_str("REDIS_URL")
HUEY_IMMEDIATE = env_bool("CARELOOP_HUEY_IMMEDIATE", False)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "careloop",
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "careloop",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
    }
# Periodic jobs (crontab hours) are read in local time, which Django sets to TIME_ZONE for the
# process: "02:45" is 02:45 in Shanghai, not in UTC.
HUEY["utc"] = False
HUEY["consumer"] = {"workers": env_int("CARELOOP_WORKERS", 2), "worker_type": "thread"}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("CARELOOP_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# CareLoop's own.
CARELOOP_DEMO_PASSWORD = env_str("CARELOOP_DEMO_PASSWORD", "careloop-demo")
CARELOOP_API_TOKEN_DAYS = env_int("CARELOOP_API_TOKEN_DAYS", 30)
CARELOOP_PAGE_SIZE = 50
CARELOOP_SITE_NAME = _("CareLoop community health")

# Notifications (the outbox): senders by dotted path, their gateways, quiet hours (local time,
# "21:00-08:00"; empty turns them off), attempts before a message is failed.
CARELOOP_SMS_SENDER = env_str("CARELOOP_SMS_SENDER", "careloop.notifications.senders.LogSender")
CARELOOP_WECHAT_SENDER = env_str(
    "CARELOOP_WECHAT_SENDER", "careloop.notifications.senders.LogSender"
)
CARELOOP_SMS_URL = env_str("CARELOOP_SMS_URL")
CARELOOP_SMS_TOKEN = env_str("CARELOOP_SMS_TOKEN")
CARELOOP_WECHAT_URL = env_str("CARELOOP_WECHAT_URL")
CARELOOP_WECHAT_TOKEN = env_str("CARELOOP_WECHAT_TOKEN")
CARELOOP_NOTIFY_TIMEOUT = env_int("CARELOOP_NOTIFY_TIMEOUT", 10)
CARELOOP_QUIET_HOURS = env_str("CARELOOP_QUIET_HOURS", "21:00-08:00")
CARELOOP_NOTIFY_MAX_ATTEMPTS = env_int("CARELOOP_NOTIFY_MAX_ATTEMPTS", 4)
