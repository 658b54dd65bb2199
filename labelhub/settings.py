"""LabelHub settings, read from environment variables (every one is documented in README.md).

With nothing set, LabelHub runs on embedded defaults: a SQLite file and media folder under
``var/``, and a filesystem Celery transport. With DATABASE_URL and REDIS_URL it runs on
PostgreSQL and Redis.
"""

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None


DATA_DIR = Path(env_str("LABELHUB_DATA_DIR", str(BASE_DIR / "var")))


def _secret_key() -> str:
    # A per-installation key kept beside the data, so a fresh machine is safe without
    # configuration and sessions survive restarts; production sets SECRET_KEY explicitly.
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served locally (no CDN)
    "labelhub.accounts",
    "labelhub.campaigns",
    "labelhub.speakers",
    "labelhub.recordings",
    "labelhub.labeling",
    "labelhub.releases",
    "labelhub.analytics",
    "labelhub.planning",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # First, so every response (static files and refusals included) carries the policy.
    "labelhub.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything that reads the body (CSRF reads POST): refuses oversized requests from
    # Content-Length; after LocaleMiddleware so its message is in the caller's language.
    "labelhub.middleware.RequestSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so request.user and messages exist for its error page, and after any size check.
    "labelhub.input_guard.InputGuardMiddleware",
]

ROOT_URLCONF = "labelhub.urls"
WSGI_APPLICATION = "labelhub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "labelhub" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "labelhub.navigation.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'labelhub.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        # With persistent connections, a database restart leaves each worker a dead one: check
        # it before reuse so the first request after the restart reconnects instead of failing.
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", True),
    )
}
# The labeling queue's hand-written statements (labelhub.sql_rows.hot_cursor) are prepared
# once per connection, so PostgreSQL plans the claim once rather than on every call (about 2 ms
# of its CPU a claim). Only those statements bind on the server; Django's own stay as they are.
# Off behind a pooler that cannot carry prepared statements (PgBouncer in transaction mode
# before 1.21).
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and (
    DATABASE_PREPARED_STATEMENTS
):
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the embedded worker write the same file: wait for locks, don't fail.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ko", _("Korean"))]
# Each app keeps its own messages in <app>/locale; the browser apps keep theirs (djangojs) in
# frontend/<app>/locale. The project folder holds the shared templates' messages.
LOCALE_PATHS = [
    BASE_DIR / "labelhub" / "locale",
    *sorted((BASE_DIR / "frontend").glob("*/locale")),
]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# The browser apps (workbench, recorder, dashboards) are plain ES modules with no build step:
# frontend/<app>/ is served as /static/<app>/.
STATICFILES_DIRS = [
    BASE_DIR / "labelhub" / "static",  # the project's own stylesheet, shared by every page
    # frontend/vendor/ holds the npm libraries' builds (make vendor); node_modules is not served.
    *(
        (path.name, path)
        for path in sorted((BASE_DIR / "frontend").iterdir())
        if path.is_dir() and path.name != "node_modules"
    ),
]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
# Audio is personal data: it is never served from a public media URL, only through views
# that check who asks. MEDIA_URL exists for Django's sake and is not routed.
MEDIA_URL = "/media-not-served/"


def s3_storage_options(environ: Mapping[str, str]) -> dict[str, object]:
    """django-storages' S3Storage options from the S3_* variables (README "Storage")."""
    endpoint = environ.get("S3_ENDPOINT_URL", "")
    if not endpoint.startswith(("http://", "https://")):
        raise ImproperlyConfigured(
            f"S3_ENDPOINT_URL must be an http(s) URL when STORAGE_BACKEND=s3, got {endpoint!r}"
        )
    for name in ("S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"):
        if not environ.get(name):
            raise ImproperlyConfigured(f"{name} must be set when STORAGE_BACKEND=s3")
    bucket = environ.get("S3_BUCKET", "labelhub")
    if not bucket:
        raise ImproperlyConfigured("S3_BUCKET must not be empty when STORAGE_BACKEND=s3")
    expiry_text = environ.get("S3_PRESIGN_SECONDS") or "300"
    if not expiry_text.isdigit() or int(expiry_text) <= 0:
        raise ImproperlyConfigured(
            f"S3_PRESIGN_SECONDS must be a positive integer, got {expiry_text!r}"
        )
    public = environ.get("S3_PUBLIC_ENDPOINT_URL", "")
    if public and not public.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"S3_PUBLIC_ENDPOINT_URL must be an http(s) URL, got {public!r}")
    return {
        "endpoint_url": endpoint,
        "bucket_name": bucket,
        "access_key": environ["S3_ACCESS_KEY_ID"],
        "secret_key": environ["S3_SECRET_ACCESS_KEY"],
        "region_name": environ.get("S3_REGION") or "us-east-1",
        # Audio is personal data: objects stay private (no ACL), reached only by presigned URLs.
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": int(expiry_text),
        "signature_version": "s3v4",
        "addressing_style": "path",
        # Raw audio is immutable: a name clash gets a new name, never an overwrite.
        "file_overwrite": False,
    }


STORAGE_BACKEND = env_str("STORAGE_BACKEND", "local")
if STORAGE_BACKEND not in {"local", "s3"}:
    raise ImproperlyConfigured(f"STORAGE_BACKEND must be local or s3, got {STORAGE_BACKEND!r}")
S3_PUBLIC_ENDPOINT_URL = os.environ.get("S3_PUBLIC_ENDPOINT_URL", "")
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if STORAGE_BACKEND == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": s3_storage_options(os.environ),
    }
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 200 * 1024 * 1024)
# One long-form source (hours of audio, or a video whose raw file is kept byte for byte) may be
# this large; the recording upload API accepts bodies this size (labelhub.middleware).
MAX_SOURCE_UPLOAD_BYTES = env_int("MAX_SOURCE_UPLOAD_BYTES", 4 * 1024 * 1024 * 1024)
# Any request that is not an upload (JSON, forms): refused with 413 above this many bytes.
MAX_REQUEST_BYTES = env_int("MAX_REQUEST_BYTES", DATA_UPLOAD_MAX_MEMORY_SIZE)
# How long a speaker invite link (/record/<token>/) stays valid, in days.
SPEAKER_INVITE_DAYS = env_int("SPEAKER_INVITE_DAYS", 30)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's token scheme, its user read in one hand-written query (accounts/authentication.py).
        "labelhub.accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "labelhub.api_errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "labelhub.schema.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "labelhub.renderers.FiniteJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    # Views opt in with `throttle_scope`; reads are never throttled (see accounts/throttles.py).
    "DEFAULT_THROTTLE_CLASSES": ["labelhub.accounts.throttles.ScopedWriteThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        # Sign-in attempts per IP, token endpoint and login page together.
        "login": env_str("THROTTLE_LOGIN", "10/minute"),
        "feedback": env_str("THROTTLE_FEEDBACK", "60/minute"),
        # Recordings, bulk archives and prompt files, per user (per IP for invite links).
        "upload": env_str("THROTTLE_UPLOAD", "120/minute"),
    },
    # Proxies in front of the app that append to X-Forwarded-For. 0: the peer address is the
    # client's, and a forged X-Forwarded-For cannot dodge a throttle or a lockout.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
}

# The OpenAPI 3 schema (/api/schema/) and Swagger UI (/api/docs/); see labelhub/schema.py.
SPECTACULAR_SETTINGS = {
    "TITLE": "LabelHub API",
    "DESCRIPTION": (
        "Voice-data collection and labeling. Every error is JSON in one shape: "
        '{"error": {"code": ..., "message": ...}} (see the Error component).'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name get their own component names.
    "ENUM_NAME_OVERRIDES": {
        "CampaignStatusEnum": "labelhub.campaigns.models.Campaign.Status",
        "TaskStatusEnum": "labelhub.labeling.models.Task.Status",
        "ReleaseStatusEnum": "labelhub.releases.models.Release.Status",
        "SkipReasonEnum": "labelhub.labeling.models.Task.SkipReason",
        "RevisionDecisionEnum": "labelhub.labeling.models.TranscriptRevision.Decision",
        "RevisionKindEnum": "labelhub.labeling.models.TranscriptRevision.Kind",
        "ExclusionReasonEnum": "labelhub.recordings.models.Exclusion.Reason",
    },
}

# Failed sign-ins before a lockout, per account and per IP (an office shares one IP); the
# first lock lasts LOGIN_LOCKOUT_SECONDS, each further failure doubles it up to the maximum.
LOGIN_LOCKOUT_FAILURES = env_int("LOGIN_LOCKOUT_FAILURES", 5)
LOGIN_LOCKOUT_IP_FAILURES = env_int("LOGIN_LOCKOUT_IP_FAILURES", 20)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 60)
LOGIN_LOCKOUT_MAX_SECONDS = env_int("LOGIN_LOCKOUT_MAX_SECONDS", 3600)
LOGIN_LOCKOUT_RESET_SECONDS = env_int("LOGIN_LOCKOUT_RESET_SECONDS", 24 * 3600)

REDIS_URL = env_str("REDIS_URL", "")
# Throttle and lockout counts must be shared by every web process: Redis when REDIS_URL is set
# (keys under "labelhub:", beside Celery's own), one process's memory otherwise.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "labelhub",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: Redis when REDIS_URL is set; otherwise a filesystem transport that needs no server,
# so `make demo` runs a real worker process on a machine with nothing installed.
BROKER_DIR = DATA_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # How long an unacknowledged task waits before another worker gets it (a worker that died
    # mid-task never acknowledges): longer than the slowest task, or tasks run twice.
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
    }
else:
    CELERY_BROKER_URL = "filesystem://localhost//"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
# Task state lives in our own models (recording status, release status), not a result backend.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# ASR has its own queue so GPU hosts can take only that: celery -A workers worker -Q asr.
ASR_QUEUE = env_str("ASR_QUEUE", "asr")
CELERY_TASK_ROUTES = {"workers.tasks.asr.*": {"queue": ASR_QUEUE}}

ASR_ENGINE = env_str("ASR_ENGINE", "faster-whisper")
ASR_MODEL = env_str("ASR_MODEL", "auto")
ASR_DEVICE = env_str("ASR_DEVICE", "cpu")
ASR_COMPUTE_TYPE = env_str("ASR_COMPUTE_TYPE", "int8")
ASR_MODEL_CACHE = Path(env_str("ASR_MODEL_CACHE", str(DATA_DIR / "models")))
ASR_BATCH_SIZE = env_int("ASR_BATCH_SIZE", 8)
# faster-whisper batches: one clip per window (ASR_PACK_CLIPS packs several into one), each
# window cut to its content + 3 s and never under ASR_WINDOW_FLOOR_SECONDS; 0 = full 30 s.
# Defaults as asr.base's PACK_CLIPS and WINDOW_FLOOR_SECONDS (README: Whisper drafts, why).
ASR_PACK_CLIPS = env_bool("ASR_PACK_CLIPS", False)
ASR_WINDOW_FLOOR_SECONDS = env_int("ASR_WINDOW_FLOOR_SECONDS", 10)
ASR_CLAIM_TTL_SECONDS = env_int("ASR_CLAIM_TTL_SECONDS", 300)
# How long a signed release download link works (seconds).
RELEASE_URL_TTL_SECONDS = env_int("RELEASE_URL_TTL_SECONDS", 3600)
ASR_TIME_LIMIT_BASE = env_int("ASR_TIME_LIMIT_BASE", 120)
ASR_TIME_LIMIT_PER_AUDIO_SECOND = env_int("ASR_TIME_LIMIT_PER_AUDIO_SECOND", 5)
LABELING_PRIORITY = env_str("LABELING_PRIORITY", "low_confidence_first")
if LABELING_PRIORITY not in {"low_confidence_first", "fifo"}:
    raise ImproperlyConfigured(
        f"LABELING_PRIORITY must be low_confidence_first or fifo, got {LABELING_PRIORITY!r}"
    )

LABELING_LEASE_MINUTES = env_int("LABELING_LEASE_MINUTES", 30)
# A long-form claim leases a run of this many consecutive open segments of one source at once.
LONGFORM_CLAIM_SEGMENTS = env_int("LONGFORM_CLAIM_SEGMENTS", 20)

# Long jobs (bulk upload, ingest, ASR draft, release build, withdrawal's audio deletion). A job
# that shows no sign of life (queued, started, progress) for its time limit is taken over by the
# reaper (labelhub.jobs): requeued while it has had fewer than JOBS_MAX_ATTEMPTS tries (runs
# started plus requeues), else marked failed with the reason. A run that kills its worker
# counts too, so a poison job ends.
JOBS_MAX_ATTEMPTS = env_int("JOBS_MAX_ATTEMPTS", 5)
JOBS_REAP_INTERVAL_SECONDS = env_int("JOBS_REAP_INTERVAL_SECONDS", 300)
# Defaults: a 500-row upload probes at ~4 rows/s (bulk.py); ingest decodes one clip of at most
# a campaign's max_seconds; releases report progress every percent.
BULK_UPLOAD_TIME_LIMIT_SECONDS = env_int("BULK_UPLOAD_TIME_LIMIT_SECONDS", 3600)
INGEST_TIME_LIMIT_SECONDS = env_int("INGEST_TIME_LIMIT_SECONDS", 900)
ASR_JOB_TIME_LIMIT_SECONDS = env_int("ASR_JOB_TIME_LIMIT_SECONDS", 3600)
RELEASE_BUILD_TIME_LIMIT_SECONDS = env_int("RELEASE_BUILD_TIME_LIMIT_SECONDS", 3600)
WITHDRAWAL_TIME_LIMIT_SECONDS = env_int("WITHDRAWAL_TIME_LIMIT_SECONDS", 900)
# Run by `celery -A workers beat` (or `worker -B`); `manage.py jobs_reap` does the same once.
CELERY_BEAT_SCHEDULE = {
    "jobs-reap": {
        "task": "workers.tasks.jobs.jobs_reap",
        "schedule": float(JOBS_REAP_INTERVAL_SECONDS),
    },
    # Analytics facts marked stale whose drain was lost (dispatch.clip_facts_refresh_on_commit).
    "facts-drain": {
        "task": "workers.tasks.analytics.clip_facts_drain",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
}

# Production hardening. LABELHUB_SECURE=1 behind TLS turns on what `check --deploy` asks for.
SECURE = env_bool("LABELHUB_SECURE", False)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"


# Everything from our own origin, nothing inline. Inline styles are refused too: the pages need
# none (the few there were moved to static CSS), and an injected style attribute can still
# exfiltrate through CSS selectors. blob: media is the recorder's playback of the take it just
# recorded (URL.createObjectURL). Django admin runs under the same policy: its JavaScript is
# all in static files. With S3, labelhub.csp adds the store's origin to media-src per response.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
