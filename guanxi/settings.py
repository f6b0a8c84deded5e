"""Guanxi settings: everything comes from environment variables, with safe defaults for the
embedded mode (one machine, SQLite, no other service)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


VAR_DIR = Path(env("GUANXI_VAR_DIR", str(PROJECT_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)


def _secret_key() -> str:
    if key := env("GUANXI_SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("GUANXI_DEBUG", False)
ALLOWED_HOSTS = env_list("GUANXI_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("GUANXI_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.admin",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "huey.contrib.djhuey",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "guanxi.core",
    "guanxi.accounts",
    "guanxi.customers",
    "guanxi.customization",
    "guanxi.dataio",
    "guanxi.sales",
    "guanxi.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "guanxi.core.headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "guanxi.accounts.middleware.UserLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "guanxi.accounts.security.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "guanxi.core.middleware.RequestContextMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "guanxi.urls"
WSGI_APPLICATION = "guanxi.wsgi.application"

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
                "guanxi.core.context_processors.guanxi",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
SQLITE_PATH = VAR_DIR / "guanxi.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{SQLITE_PATH}"), conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
            " PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "customers:customer-list"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTHENTICATION_BACKENDS = [
    "guanxi.accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lock-out: after GUANXI_LOGIN_FAILURES failed sign-ins an account, and separately an address,
# is refused (429) for GUANXI_LOCKOUT_MINUTES; a successful sign-in resets the account's count.
AXES_FAILURE_LIMIT = int(env("GUANXI_LOGIN_FAILURES", "5"))
AXES_COOLOFF_TIME = int(env("GUANXI_LOCKOUT_MINUTES", "15")) / 60
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "guanxi.core.middleware.client_ip"
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "accounts/settings/locked_out.html"
AXES_VERBOSE = False
OTP_TOTP_ISSUER = env("GUANXI_OTP_ISSUER", "Guanxi CRM")
SESSION_COOKIE_AGE = int(env("GUANXI_SESSION_AGE", str(12 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = False
SESSION_SAVE_EVERY_REQUEST = False

# --- I18n -------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = False
TIME_ZONE = env("GUANXI_TIME_ZONE", "Asia/Shanghai")
FORMAT_MODULE_PATH = ["guanxi.formats"]
DEFAULT_CURRENCY = env("GUANXI_CURRENCY", "CNY")

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# The project's own static files (and the vendored front-end kit) live beside the apps.
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("GUANXI_MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
GUANXI_MAX_ATTACHMENT_BYTES = int(env("GUANXI_MAX_ATTACHMENT_BYTES", str(20 * 1024 * 1024)))

# --- Background worker (Huey) -----------------------------------------------------------------
QUEUE_URL = env("GUANXI_QUEUE_URL")
HUEY_IMMEDIATE = env_bool("GUANXI_QUEUE_IMMEDIATE", False)
if QUEUE_URL.startswith("redis"):
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "guanxi",
        "url": QUEUE_URL,
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": int(env("GUANXI_WORKERS", "2")), "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "guanxi",
        "filename": str(VAR_DIR / "queue.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": int(env("GUANXI_WORKERS", "2")), "worker_type": "thread"},
    }

# --- Cache ------------------------------------------------------------------------------------
CACHE_URL = env("GUANXI_CACHE_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Encryption at rest -----------------------------------------------------------------------
GUANXI_KEY_FILE = Path(env("GUANXI_KEY_FILE", str(VAR_DIR / "keys.json")))
GUANXI_ENCRYPTION_KEYS = env("GUANXI_ENCRYPTION_KEYS")

# --- Backups (guanxi backup; a nightly one when GUANXI_BACKUP_KEEP > 0) ---------------------
GUANXI_BACKUP_DIR = env("GUANXI_BACKUP_DIR")
GUANXI_BACKUP_KEEP = int(env("GUANXI_BACKUP_KEEP", "0"))
GUANXI_BACKUP_HOUR = int(env("GUANXI_BACKUP_HOUR", "2"))

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "guanxi.accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "guanxi.core.pagination.CursorPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "guanxi.core.api_errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_CLASSES": [
        "guanxi.accounts.throttling.TokenRateThrottle",
        "guanxi.accounts.throttling.AddressRateThrottle",
    ],
}
GUANXI_API_RATE_TOKEN = env("GUANXI_API_RATE_TOKEN", "600/minute")
GUANXI_API_RATE_ADDRESS = env("GUANXI_API_RATE_ADDRESS", "1200/minute")
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ]

SPECTACULAR_SETTINGS = {
    "TITLE": "Guanxi API",
    "DESCRIPTION": "REST API of Guanxi (关系), a self-hosted CRM.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "/static/guanxi/favicon.svg",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CompanySizeEnum": "guanxi.customers.models.CompanySize",
        "CustomerKindEnum": "guanxi.customers.models.CustomerKind",
        "InteractionKindEnum": "guanxi.customers.models.InteractionKind",
        "DealStatusEnum": "guanxi.sales.models.DealStatus",
        "LeadStatusEnum": "guanxi.sales.models.LeadStatus",
        "QuoteStatusEnum": "guanxi.sales.models.QuoteStatus",
        "OrderStatusEnum": "guanxi.sales.models.OrderStatus",
    },
}

# --- Security ---------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
HTTPS = env_bool("GUANXI_HTTPS", False)
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("GUANXI_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(env("GUANXI_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("GUANXI_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("GUANXI_LOG_LEVEL", "WARNING")},
    "loggers": {"guanxi": {"level": env("GUANXI_LOG_LEVEL", "INFO"), "propagate": True}},
}

TRUST_X_FORWARDED_FOR = env_bool("GUANXI_TRUST_X_FORWARDED_FOR", False)
