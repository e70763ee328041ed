"""Kehu settings: one file, read from the environment.

SQLite in KEHU_DATA_DIR (default ./var/) unless DATABASE_URL is set.
KEHU_ENV=production switches on the secure defaults that `kehu check --deploy` expects.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = os.environ.get("KEHU_ENV", "development") == "production"
DEBUG = env_bool("DEBUG", not PRODUCTION)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when KEHU_ENV=production")
    SECRET_KEY = "kehu-development-key-not-for-production-use-0123456789abcdefghijklmnop"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

DATA_DIR = Path(os.environ.get("KEHU_DATA_DIR", BASE_DIR / "var")).resolve()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "kehu.core",
    "kehu.accounts",
    "kehu.customers",
    "kehu.ledger",
    "kehu.credit",
    "kehu.engagement",
    "kehu.prospecting",
    "kehu.keyaccounts",
    "kehu.visits",
    "kehu.dataio",
    "kehu.analytics",
    "kehu.demo",
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

ROOT_URLCONF = "kehu.urls"
WSGI_APPLICATION = "kehu.wsgi.application"

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
                "kehu.accounts.context_processors.unread",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "kehu.sqlite3",  # type: ignore[typeddict-item]  # SQLite takes a path
            "OPTIONS": {
                # WAL lets readers and one writer work at once; IMMEDIATE avoids
                # deadlocks when two requests upgrade read locks to write locks.
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "timeout": 20,
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

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

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed logins: five tries per user name and address, then a 15-minute lock.
AXES_FAILURE_LIMIT = int(os.environ.get("KEHU_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_ENABLED = env_bool("KEHU_LOGIN_THROTTLE", True)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

FORMAT_MODULE_PATH = ["kehu.formats"]
LANGUAGE_CODE = os.environ.get("KEHU_LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", "中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "static"))
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
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
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "/media/"

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "kehu.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kehu API",
    "DESCRIPTION": "Customers and their contacts and needs, the organisation, the sales ledger, credit control and imports of Kehu.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set shared by several endpoints, so the schema names them plainly.
    "ENUM_NAME_OVERRIDES": {
        "ColourGradeEnum": "kehu.customers.models.ColourGrade",
        "PursuitDecisionEnum": "kehu.customers.models.PursuitDecision",
        "OrderStatusEnum": "kehu.ledger.models.OrderStatus",
        "WriteOffKindEnum": "kehu.credit.models.WriteOffKind",
        "ApproveOrRejectEnum": "kehu.credit.api.DECISIONS",
    },
}

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    if env_bool("KEHU_BEHIND_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Kehu policy defaults (editable per company later through the policy tables).
KEHU_CURRENCY = "CNY"
KEHU_PAGE_SIZE = 50


# Long work (imports, large exports, re-grading, route planning) runs as tasks in a worker process
# (`kehu db_worker`, started by `make run` beside the web server), queued in the database itself.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# The confirm step of every order (DESIGN.md: every path that makes an order count passes the credit
# check). Fixed here, not read from the environment; the ledger has no fallback without it.
ORDER_CONFIRM_STEP = "kehu.credit.services.order_confirm_checked"

# Daily routes: without a travel-time matrix, minutes come from the straight-line distance times a
# road factor at a speed, or from an OSRM routing server when KEHU_OSRM_URL names one.
KEHU_ROUTE_ROAD_FACTOR = float(os.environ.get("KEHU_ROUTE_ROAD_FACTOR", "1.4"))
KEHU_ROUTE_SPEED_KMH = float(os.environ.get("KEHU_ROUTE_SPEED_KMH", "25"))
KEHU_OSRM_URL = os.environ.get("KEHU_OSRM_URL", "")

# Field work (visits): the sales map's tiles.
# KEHU_MAP_TILES: a tile URL template ({z}/{x}/{y}, {s} for subdomains); empty = no tiles, the map
# draws markers and routes over a plain background. KEHU_MAP_TILES_CRS: "wgs84", or "gcj02" for
# Chinese providers (AMap/Gaode, Tianditu) whose tiles are drawn in GCJ-02.
KEHU_MAP_TILES = os.environ.get("KEHU_MAP_TILES", "")
KEHU_MAP_TILES_CRS = os.environ.get("KEHU_MAP_TILES_CRS", "wgs84").lower()
KEHU_MAP_ATTRIBUTION = os.environ.get("KEHU_MAP_ATTRIBUTION", "")
KEHU_MAP_SUBDOMAINS = os.environ.get("KEHU_MAP_SUBDOMAINS", "")

# Customer addresses into positions (kehu.core.geocode): KEHU_GEOCODER amap / tianditu / nominatim,
# empty for none (then a customer without coordinates sits at its district's centre, approximate).
KEHU_GEOCODER = os.environ.get("KEHU_GEOCODER", "").strip().lower()
KEHU_GEOCODER_URL = os.environ.get("KEHU_GEOCODER_URL", "")
KEHU_GEOCODER_KEY = os.environ.get("KEHU_GEOCODER_KEY", "")
KEHU_GEOCODER_TIMEOUT = float(os.environ.get("KEHU_GEOCODER_TIMEOUT", "10"))
KEHU_GEOCODER_INTERVAL = os.environ.get("KEHU_GEOCODER_INTERVAL", "")
