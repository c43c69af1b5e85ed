"""Django settings, derived from the validated environment (see sceau.core.config)."""

from __future__ import annotations

import os
import sys

import dj_database_url

from sceau.core import config as _config

try:
    CONFIG = _config.load()
except _config.ConfigError as exc:  # a clear line, not a traceback, for the operator
    sys.stderr.write(f"sceau: configuration error: {exc}\n")
    raise SystemExit(2) from None

DATA_DIR = CONFIG.data_dir
os.umask(0o077)  # files Sceau creates (SQLite, blobs, keys) are private to its user
SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
ALLOWED_HOSTS = list(CONFIG.allowed_hosts)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "sceau.core",
    "sceau.journal",
    "sceau.vault",
    "sceau.identity",
    "sceau.notary",
    "sceau.pieces",
    "sceau.creances",
]

MIDDLEWARE = [
    # First: drops the TLS proxy's headers (X-Forwarded-Proto, client certificate) unless the
    # request comes from SCEAU_TRUSTED_PROXIES, before SecurityMiddleware's redirect reads them.
    "sceau.identity.proxy.ProxyHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "sceau.core.middleware.SecurityHeadersMiddleware",
    "sceau.vault.uploads.DiscardUnclaimedUploadsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sceau.identity.sessions.SessionLimitsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "sceau.identity.certificates.CertificateSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it sees the views' exceptions first: a domain error becomes its page.
    "sceau.core.web.ErrorPageMiddleware",
]

ROOT_URLCONF = "sceau.urls"
WSGI_APPLICATION = "sceau.wsgi.application"
AUTH_USER_MODEL = "identity.User"
LOGIN_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sceau.core.context.sceau",
                "sceau.identity.context.session",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.parse(CONFIG.database_url, conn_max_age=60)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets readers proceed during a write; the busy timeout makes concurrent writers
    # (web workers, `sceau worker`, two purges) wait for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if CONFIG.cache_url.startswith("redis"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CONFIG.cache_url,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Uploads: one handler that fingerprints and encrypts as chunks arrive. Django's default
# handlers would write a plaintext temporary file; there is deliberately no fallback.
FILE_UPLOAD_HANDLERS = ["sceau.vault.uploads.SealingUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 0
DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000_000
SCEAU_MAX_UPLOAD_BYTES = CONFIG.max_upload_bytes

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CONFIG.https
CSRF_COOKIE_SECURE = CONFIG.https
SESSION_COOKIE_AGE = CONFIG.session_max_seconds  # server-side record; limits: identity.sessions
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
if CONFIG.https:
    # __Host- cookies: Secure, for this host only, path / (no sibling sub-domain can set them)
    SESSION_COOKIE_NAME = "__Host-sceau_session"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if CONFIG.https:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# W008: the TLS proxy redirects http:// to https:// (deploy/nginx), the application never sees
# plain-http clients. W021: HSTS preloading commits the whole domain for months: the operator's
# decision, not ours.
SILENCED_SYSTEM_CHECKS = ["security.W008", "security.W021"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": "INFO"},
    "loggers": {"django.request": {"level": "ERROR"}},
}

NINJA_PAGINATION_PER_PAGE = 100

# Outgoing mail: files under the data directory for the demo, SMTP (STARTTLS) in production.
DEFAULT_FROM_EMAIL = CONFIG.mail_from
if CONFIG.email == "smtp":
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = CONFIG.smtp_host
    EMAIL_PORT = CONFIG.smtp_port
    EMAIL_HOST_USER = CONFIG.smtp_user
    EMAIL_HOST_PASSWORD = CONFIG.smtp_password
    EMAIL_USE_TLS = True
    EMAIL_TIMEOUT = 15
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "mail"
