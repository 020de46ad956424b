"""Django settings, read from the environment through `opspor.config.Env`.

Development defaults are safe to run on a laptop; `OPSPOR_ENV=production` switches on the
settings that `manage.py check --deploy` asks for and refuses to start without a secret key.
"""

from __future__ import annotations

from pathlib import Path

from django.utils.csp import CSP

from opspor import languages
from opspor.config import Env, SettingError
from opspor.logconfig import logging_config_from

env = Env.from_os()

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(env.text("OPSPOR_HOME", str(PACKAGE_DIR.parent.parent)))
VAR_DIR = Path(env.text("OPSPOR_VAR_DIR", str(BASE_DIR / "var")))
# The region's Parquet files (what `opspor synth` writes, or a registry extract in its shape)
# for the quality unit's region-wide figures; `opspor seed` writes the demo region's here.
QUALITY_REGION_DATA = Path(env.text("OPSPOR_QUALITY_REGION_DATA", str(VAR_DIR / "quality-region")))
# Whether those files' practice ids are this record's (a nightly `opspor export-population`).
QUALITY_REGION_LINKED = env.flag("OPSPOR_QUALITY_REGION_LINKED", False)

ENVIRONMENT = env.choice("OPSPOR_ENV", "development", ("development", "production"))
PRODUCTION = ENVIRONMENT == "production"

_DEV_SECRET = "development-only-secret-key-never-use-in-production-0123456789abcdef"  # noqa: S105
SECRET_KEY = env.text("OPSPOR_SECRET_KEY", "" if PRODUCTION else _DEV_SECRET)
if PRODUCTION and len(SECRET_KEY) < 50:
    raise SettingError("OPSPOR_SECRET_KEY must be set to at least 50 characters in production")

DEBUG = env.flag("OPSPOR_DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env.items(
    "OPSPOR_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.items("OPSPOR_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "simple_history",
    "django_tasks_db",
    # Only for its templates and static files: the API docs page's Swagger UI is served from
    # Opspor's own static files, never from a CDN (opspor/api.py).
    "ninja",
    # The second factor of staff logins: codes from an authenticator app, recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "opspor.accounts",
    "opspor.records",
    "opspor.casework",
    "opspor.referrals",
    "opspor.safetynet",
    "opspor.population",
    "opspor.portal",
    "opspor.quality",
    "opspor.interop",
    "opspor.demo",
]

MIDDLEWARE = [
    # /healthz and /readyz, answered before the host check and the HTTPS redirect, which
    # a probe over plain HTTP to the container's address would fail (opspor/health.py).
    "opspor.health.HealthChecks",
    # Outermost, so that every log line written while answering carries the request's id.
    "opspor.request_ids.RequestId",
    # Next, so that every answer gets them, also one an inner middleware gives by itself
    # (see "Response headers" below). Neither reads the request's body.
    "opspor.headers.PrivateResponseHeaders",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Before anything that reads the body, so that it measures an API request's body first
    # and turns every error page under /api/ into JSON (opspor/api_requests.py).
    "opspor.api_requests.ApiRequestGuard",
    # Before anything else reads the database for an API request: one over the limit is
    # answered 429 at once (accounts/ratelimit.py).
    "opspor.accounts.ratelimit.ApiRateLimit",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Ends idle and too old sessions before anything uses their user (accounts/sessions.py).
    "opspor.accounts.sessions.SessionLifetime",
    "django_otp.middleware.OTPMiddleware",
    # A staff session reaches only the code step until a second factor verifies it.
    "opspor.accounts.middleware.RequireSecondFactor",
    # Where each read of a record comes from, for the access log (records/access_log.py).
    "opspor.records.access_log.RequestContext",
    # After the user is known: a language offered to patients only is not used for staff.
    "opspor.accounts.languages.StaffLanguages",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "opspor.urls"
WSGI_APPLICATION = "opspor.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "opspor.accounts.languages.offered_languages",
                "opspor.accounts.sessions.login_state",
                "opspor.portal.context_processors.patient_page",
            ],
        },
    },
]

DATABASES = {"default": env.database("DATABASE_URL", VAR_DIR / "opspor.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Who may log in, and how. The default is Django's own: a username and a password checked
# against the user table. A deployment swaps it (for MitID through the region's identity
# broker, say) by naming its backends here; docs/authentication.md says what else it needs.
AUTHENTICATION_BACKENDS = env.dotted_paths(
    "OPSPOR_AUTHENTICATION_BACKENDS", ["django.contrib.auth.backends.ModelBackend"]
)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Danish by default, and for any language Opspor does not have (Accept-Language, cookie or a
# choice it does not know). Dari (fa-af) is offered to patients only (opspor/languages.py).
LANGUAGE_CODE = languages.DEFAULT_LANGUAGE
LANGUAGES = languages.LANGUAGES
languages.install_language_info()
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Europe/Copenhagen"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["opspor.formats"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# `make static` copies the npm packages' built files here.
STATICFILES_DIRS = [PACKAGE_DIR / "static", BASE_DIR / "build" / "static"]
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

# Background work (notification e-mails, escalation of unacknowledged rejections, deadline
# checks) is queued in the database and run by `opspor worker`, which `make demo` starts:
# a queued task survives a restart of the web server or of the worker.
TASKS = {
    "default": {
        "BACKEND": env.text("OPSPOR_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

EMAIL_BACKEND = env.text("OPSPOR_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.text("OPSPOR_FROM_EMAIL", "opspor@localhost")
EMAIL_HOST = env.text("OPSPOR_EMAIL_HOST", "localhost")
EMAIL_PORT = env.integer("OPSPOR_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env.text("OPSPOR_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env.text("OPSPOR_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env.flag("OPSPOR_EMAIL_TLS", False)
# A mail server that stops answering must not hold the worker: the attempt fails after
# this many seconds and is retried later (casework/delivery.py).
EMAIL_TIMEOUT = env.integer("OPSPOR_EMAIL_TIMEOUT", 30, minimum=1)
# Notifications to one address within this many seconds of the last one are gathered into
# one e-mail when the window ends (a unit answering a practice's referrals one after the
# other); the first of a quiet address goes at once. 0 sends every notification alone.
OPSPOR_NOTIFICATION_DIGEST_S = env.integer("OPSPOR_NOTIFICATION_DIGEST_S", 300, minimum=0)
# The address in notification e-mails that leads back to the case in the app (`make demo`
# sets it to the port it serves on).
OPSPOR_BASE_URL = env.url("OPSPOR_BASE_URL", "http://127.0.0.1:8000")
# How many days before a safety net's follow-up date the patient is reminded (on their page
# and by e-mail). This software's choice, not a guideline's: long enough to book a time,
# short enough to be remembered.
OPSPOR_PATIENT_REMINDER_DAYS = env.integer("OPSPOR_PATIENT_REMINDER_DAYS", 2, minimum=0)

# The largest request body the JSON API takes, in bytes; a larger one is answered 413.
# 1 MiB is about a hundred times the longest text a field may hold (casework/text.py).
OPSPOR_API_MAX_BODY_BYTES = env.integer("OPSPOR_API_MAX_BODY_BYTES", 1024 * 1024, minimum=1024)
# Django's own limit on a body read into memory stays above the API's, so that the API's
# limit, answered as JSON, is the one an API caller meets.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(2_621_440, OPSPOR_API_MAX_BODY_BYTES)
# How many days an API token lives: the default and the longest a user can choose. A token
# that leaks stops working by itself; its owner can revoke it sooner.
OPSPOR_API_TOKEN_DAYS = env.integer("OPSPOR_API_TOKEN_DAYS", 90, minimum=1)
# At most this many API requests per token (or, without a valid token, per client address)
# in each window of this many seconds; more is answered 429 (accounts/ratelimit.py). The
# counts are kept in the database, so every worker process shares them. 0 turns it off.
OPSPOR_API_RATE_LIMIT = env.integer("OPSPOR_API_RATE_LIMIT", 120, minimum=0)
OPSPOR_API_RATE_WINDOW_SECONDS = env.integer("OPSPOR_API_RATE_WINDOW_SECONDS", 60, minimum=1)

SESSION_COOKIE_HTTPONLY = True
# A session ends at the latest this long after its login, however busy (the absolute
# lifetime), and after this long without a request (idle; staff and patients apart); the
# cookie itself is forgotten when the browser closes (accounts/sessions.py).
OPSPOR_SESSION_MAX_SECONDS = env.integer("OPSPOR_SESSION_SECONDS", 12 * 3600, minimum=300)
SESSION_COOKIE_AGE = OPSPOR_SESSION_MAX_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
OPSPOR_SESSION_IDLE_SECONDS_STAFF = env.integer("OPSPOR_SESSION_IDLE_SECONDS", 30 * 60, minimum=60)
OPSPOR_SESSION_IDLE_SECONDS_PATIENT = env.integer(
    "OPSPOR_PATIENT_SESSION_IDLE_SECONDS", 30 * 60, minimum=60
)
# Login throttling (accounts/lockout.py): this many failed logins of one username within
# the lock period lock it for that period; this many from one address (across usernames)
# refuse that address for the period.
OPSPOR_LOGIN_ACCOUNT_FAILURES = env.integer("OPSPOR_LOGIN_ACCOUNT_FAILURES", 5, minimum=1)
OPSPOR_LOGIN_ADDRESS_FAILURES = env.integer("OPSPOR_LOGIN_ADDRESS_FAILURES", 20, minimum=1)
OPSPOR_LOGIN_LOCK_SECONDS = env.integer("OPSPOR_LOGIN_LOCK_SECONDS", 15 * 60, minimum=60)
# At most this many password-reset links to one e-mail address within that period (the
# requests from one client address count against OPSPOR_LOGIN_ADDRESS_FAILURES).
OPSPOR_PASSWORD_RESET_LIMIT = env.integer("OPSPOR_PASSWORD_RESET_LIMIT", 3, minimum=1)
# How many reverse proxies in front of Opspor append to X-Forwarded-For; 0 trusts only the
# connection's own address (accounts/addresses.py; the login trail and the access log).
OPSPOR_TRUSTED_PROXIES = env.integer("OPSPOR_TRUSTED_PROXIES", 0, minimum=0)
# The issuer an authenticator app shows beside the account's code.
OTP_TOTP_ISSUER = env.text("OPSPOR_TOTP_ISSUER", "Opspor")
# Passkeys (accounts/passkeys.py): the WebAuthn relying party id, a domain that a passkey
# is bound to for good (empty: the host the request came to, without its port), and the
# origins a browser may answer from (empty: the request's own scheme and host).
OPSPOR_WEBAUTHN_RP_ID = env.text("OPSPOR_WEBAUTHN_RP_ID", "").strip().lower()
OPSPOR_WEBAUTHN_ORIGINS = env.items("OPSPOR_WEBAUTHN_ORIGINS", [])
CSRF_COOKIE_HTTPONLY = True

# Response headers. Every page runs only Opspor's own script and style files: no inline
# script element, no on...= handler, no style= attribute, no eval (the quality plots run Vega's
# expression interpreter, quality/charts.js), no other origin. tests/test_headers.py holds
# the policy to this and scans the templates for inline code. The API docs page alone
# allows data: images (Swagger UI's icons, opspor/api.py). The middleware adds
# `Cache-Control: no-store` to every answer to a signed-in user and under /api/, and a
# Permissions-Policy denying every browser feature but passkeys (opspor/headers.py).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "frame-src": [CSP.NONE],
    "worker-src": [CSP.NONE],
    "manifest-src": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.flag("OPSPOR_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.integer("OPSPOR_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# One handler for every logger (Django's request and runserver logs included), which scrubs
# CPR numbers; `OPSPOR_LOG_FORMAT=json` writes one JSON object per line (opspor/logconfig.py).
LOGGING = logging_config_from(env)

OPSPOR_DEMO_PASSWORD = env.text("OPSPOR_DEMO_PASSWORD", "opspor-demo")
