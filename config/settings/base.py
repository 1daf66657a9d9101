"""Settings for every environment, read from the process environment with django-environ.

With DEBUG off (the default) the secrets must be given; with DEBUG on, development values stand in
so that `make run` works on a fresh machine with SQLite and a broker that needs no server.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# Development stand-ins, used only with DEBUG on; each is long enough to pass `check --deploy`.
_DEV_SECRETS = {
    "SECRET_KEY": "dev-only-secret-key-7c1f0b2e9a4d4e5f8b6a3c2d1e0f9a8b7c6d5e4f3a2b1c0d",
    "FIELD_ENCRYPTION_KEY": "dev-only-field-encryption-key-5b9e2c7a1f4d8e3b6a0c9d2e7f1a4b8c",
    "BLIND_INDEX_KEY": "dev-only-blind-index-key-3e8a1d6c9f2b5e0a7d4c1f8b3e6a9d2c",
}
MIN_KEY_LENGTH = 32


def _secret(name: str) -> str:
    """A secret from the environment; without DEBUG a missing or short one stops start-up."""
    value = env.str(name, default="")
    if not value and DEBUG:
        return _DEV_SECRETS[name]
    if not value:
        raise ImproperlyConfigured(f"{name} is not set: production (DEBUG off) needs it in the environment. "
                                   "For a development checkout, start with `make run` or set DEBUG=1.")
    if len(value) < MIN_KEY_LENGTH:
        raise ImproperlyConfigured(f"{name} must be at least {MIN_KEY_LENGTH} characters long.")
    return value


SECRET_KEY = _secret("SECRET_KEY")
# Personal fields are encrypted with this key, never with SECRET_KEY (members/encryption.py).
FIELD_ENCRYPTION_KEY = _secret("FIELD_ENCRYPTION_KEY")
# Blind indexes (keyed HMAC of normalised email, mobile, login ID) use their own key.
BLIND_INDEX_KEY = _secret("BLIND_INDEX_KEY")
if len({SECRET_KEY, FIELD_ENCRYPTION_KEY, BLIND_INDEX_KEY}) != 3:
    raise ImproperlyConfigured("SECRET_KEY, FIELD_ENCRYPTION_KEY and BLIND_INDEX_KEY must all differ.")


def _old_secrets(name: str) -> list[str]:
    """Keys that may still open (or match) what an earlier key wrote, until `manage.py rotate_keys` has run."""
    values = [value.strip() for value in env.list(name, default=[]) if value.strip()]
    if not DEBUG and any(len(value) < MIN_KEY_LENGTH for value in values):
        raise ImproperlyConfigured(f"{name}: every key must be at least {MIN_KEY_LENGTH} characters long.")
    return values


# The key ring (members/encryption.py): the *_KEY seals; the *_OLD_KEYS (comma-separated) may still open.
FIELD_ENCRYPTION_OLD_KEYS = _old_secrets("FIELD_ENCRYPTION_OLD_KEYS")
BLIND_INDEX_OLD_KEYS = _old_secrets("BLIND_INDEX_OLD_KEYS")
_ALL_KEYS = [SECRET_KEY, FIELD_ENCRYPTION_KEY, BLIND_INDEX_KEY, *FIELD_ENCRYPTION_OLD_KEYS, *BLIND_INDEX_OLD_KEYS]
if not DEBUG and len(set(_ALL_KEYS)) != len(_ALL_KEYS):
    raise ImproperlyConfigured("FIELD_ENCRYPTION_OLD_KEYS and BLIND_INDEX_OLD_KEYS must differ from each other and "
                               "from SECRET_KEY, FIELD_ENCRYPTION_KEY and BLIND_INDEX_KEY.")
# django-cryptography reads CRYPTOGRAPHY_KEY; without it the library would fall back to SECRET_KEY.
CRYPTOGRAPHY_KEY = FIELD_ENCRYPTION_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "config.apps.PrivacyAdminConfig",  # django.contrib.admin with the project's guarded site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "config.apps.LoginLockoutConfig",  # django-axes
    "pgtrigger",
    "members",
    "consents",
    "retention",
    "disclosures",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "consents.middleware.AnalyticsCookieMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the page that says when to try again
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "consents.context_processors.policy_notices",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A statement run this many times on one connection is kept prepared (members.prepared); "off" behind a
    # pooler in transaction mode, which does not keep a session's prepared statements.
    _prepare_after = env.str("DATABASE_PREPARE_THRESHOLD", default="5")
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        None if _prepare_after.lower() in ("off", "") else int(_prepare_after))
# Policy §3: what a law keeps after its purpose ended moves to a separate database (retention.routers).
if env.str("ARCHIVE_DATABASE_URL", default=""):
    DATABASES["archive"] = env.db("ARCHIVE_DATABASE_URL")
DATABASE_ROUTERS = ["retention.routers.ArchiveRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "members.Member"
# AxesStandaloneBackend first: it refuses a locked-out login before any password is hashed.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "members.backends.MemberBackend"]
# Uniqueness of the login ID is enforced on its blind index (members.Member.login_id_index),
# because the login ID itself is encrypted and its ciphertext cannot be unique.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("login_id", "name", "email")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "consents:login"

# Login lockout (django-axes, members/lockout.py): 5 failures lock the account or the address for 30 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]  # each counted on its own: either one locks
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a lockout ends 30 minutes after the 5th failure
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "members.lockout.username_index"  # axes stores the login ID's blind index, never it
AXES_CLIENT_IP_CALLABLE = "members.lockout.client_ip"
AXES_CLIENT_STR_CALLABLE = "members.lockout.client_str"
AXES_LOCKOUT_CALLABLE = "members.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_SENSITIVE_PARAMETERS = ["username", "login_id", "ip_address", "password"]
AXES_DISABLE_ACCESS_LOG = True  # axes' log of successful logins would store the plaintext login ID
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # every failure, by blind index and address, for the officer
AXES_ENABLE_ADMIN = False  # members/lockout_admin.py shows attempts and failures in Korean, with lift actions

LANGUAGE_CODE = "ko-kr"
LANGUAGES = [("ko", _("Korean")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# Production hardening; every value can be relaxed from the environment behind a TLS proxy.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
# Database sessions that name their member (members.sessions): a withdrawal ends them with one DELETE.
SESSION_ENGINE = "members.sessions"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 8)
X_FRAME_OPTIONS = "DENY"

# Celery: the broker defaults to kombu's filesystem transport so that a first run needs no server.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_FOLDER = VAR_DIR / "celery-broker"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(CELERY_BROKER_FOLDER / "queue"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "queue"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
    }
    if CELERY_BROKER_URL.startswith("filesystem://")
    else {"visibility_timeout": 3600}
)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 10 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 9 * 60
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# Marketing result and re-confirmation notices (consents/marketing.py): email through Django's backend,
# SMS through the sender class named here (consents/sms.py).
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend" if DEBUG
                        else "django.core.mail.backends.smtp.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="(주)알파코 <alpha@alpaco.co.kr>")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
# Seconds to wait for the mail server: a notice is sent after its change commits, and must not hold a request.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
SMS_SENDER = env.str("SMS_SENDER", default="consents.sms.LoggingSmsSender")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
