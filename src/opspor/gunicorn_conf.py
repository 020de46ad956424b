"""gunicorn's settings for Opspor in production:

    gunicorn --config python:opspor.gunicorn_conf opspor.wsgi

Read from the environment like the site's own settings (README, "Production"). The logs
carry no query string and no referrer, in the access log and in gunicorn's error log: a
query string can carry an identifier (a search for a CPR number), and a referrer is the
previous page's full address, query included. CPR-shaped numbers in any line of either log
are redacted by the filter the site's own log uses.
"""

from __future__ import annotations

import logging
import os

from opspor.config import Env

env = Env.from_os()

bind = env.items("OPSPOR_BIND", ["0.0.0.0:8000"])
# Synchronous workers: a request holds one while it waits on the database. Two a core and
# one more is gunicorn's own rule of thumb.
workers = env.integer("OPSPOR_WEB_WORKERS", 2 * (os.cpu_count() or 1) + 1, minimum=1)
threads = env.integer("OPSPOR_WEB_THREADS", 1, minimum=1)
# A request that takes longer than this is stopped and its worker replaced.
timeout = env.integer("OPSPOR_WEB_TIMEOUT", 60, minimum=1)
# On SIGTERM (a deploy, `systemctl stop`) requests in flight get this long to finish.
graceful_timeout = env.integer("OPSPOR_WEB_GRACEFUL_TIMEOUT", 30, minimum=1)
keepalive = 5
# A worker is replaced after this many requests (plus up to the jitter, so that they are
# not all replaced at once), which bounds what a slow leak can grow to.
max_requests = env.integer("OPSPOR_WEB_MAX_REQUESTS", 1000, minimum=0)
max_requests_jitter = max_requests // 10
# The addresses of the reverse proxy whose X-Forwarded-* headers are believed (the site
# takes the scheme from X-Forwarded-Proto: settings.SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = env.text("OPSPOR_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# The application is loaded once in the master and the workers are forked from it: a
# setting or import error stops the start at once, with one message.
preload_app = True


def when_ready(server: object) -> None:
    """In the master, after the application is loaded and before the workers are forked:
    what a worker would load on its first requests is loaded once, here (opspor.warmup)."""
    from opspor.warmup import warm

    seconds = warm()
    logging.getLogger("gunicorn.error").info("Opspor warmed up in %.1f s", seconds)


# gunicorn's control socket (for `gunicornc`) is not used: a process manager starts and
# stops the server, and the socket's default place, the home folder, is read-only there.
control_socket_disable = True

accesslog = "-"
errorlog = "-"
loglevel = env.text("OPSPOR_LOG_LEVEL", "INFO").lower()
# Client address, method, path without its query string (%(U)s, never %(r)s or %(q)s),
# protocol, status, bytes, duration in ms, user agent; never the referrer (%(f)s). The
# time comes first on every line, from the log's format below.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'


class NoQueryStrings(logging.Filter):
    """Cuts the query string off any address in a log record's arguments: gunicorn's
    "Error handling request" line names the request's full URI."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_without_query(arg) for arg in record.args)
        return True


def _without_query(value: object) -> object:
    if isinstance(value, str) and value.startswith(("/", "http://", "https://")):
        return value.split("?", 1)[0]
    return value


_FILTERS = ["no_query", "redact"]
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "no_query": {"()": "opspor.gunicorn_conf.NoQueryStrings"},
        "redact": {"()": "opspor.accounts.logging.RedactPatientData"},
    },
    "formatters": {
        "generic": {
            "format": "%(asctime)s [%(process)d] [%(levelname)s] %(message)s",
            "datefmt": "[%Y-%m-%d %H:%M:%S %z]",
        }
    },
    "handlers": {
        "access": {
            "class": "logging.StreamHandler",
            "formatter": "generic",
            "filters": _FILTERS,
            "stream": "ext://sys.stdout",
        },
        "error": {
            "class": "logging.StreamHandler",
            "formatter": "generic",
            "filters": _FILTERS,
            "stream": "ext://sys.stderr",
        },
    },
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["error"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
    },
    "root": {"level": loglevel.upper(), "handlers": ["error"]},
}
