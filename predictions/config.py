"""Configuration defaults and the environment variables that override them."""

import os
import secrets
from pathlib import Path

from sqlalchemy.engine import make_url


def flag(value: str) -> bool:
    """An environment switch: 1, true or yes (any case) turn it on."""
    return value.strip().lower() in {"1", "true", "yes", "on"}


ENVIRONMENT_SETTINGS = {
    # name: converter
    "DATABASE_URL": str,
    "SECRET_KEY": str,
    "REDIS_URL": str,
    "RATELIMIT_STORAGE_URI": str,
    "MIN_CROWD": int,
    "AGGREGATE_CACHE_SECONDS": float,
    "CROWD_CACHE_SECONDS": float,
    "AGGREGATE_CACHE_PREFIX": str,
    "FALLBACK_RETRY_SECONDS": float,
    "TRUSTED_PROXIES": int,
    "MAX_CONTENT_LENGTH": int,
    "FRAME_ANCESTORS": str,
    "EMBED_ORIGINS": str,
    "SESSION_COOKIE_SECURE": flag,
    "PRODUCTION": flag,
    "HSTS_MAX_AGE": int,
    "SQLITE_BUSY_TIMEOUT": float,
    # Abuse limits (see Defaults): limit strings such as "1 per 15 seconds;20 per day".
    "RATELIMIT_ENABLED": flag,
    "COMMENT_LIMIT": str,
    "COMMENT_LIMIT_PER_IP": str,
    "COMMENT_EDIT_LIMIT": str,
    "FORECAST_LIMIT": str,
    "FORECAST_LIMIT_PER_IP": str,
    "FLAG_LIMIT": str,
    "FLAG_LIMIT_PER_IP": str,
    "NEW_READER_LIMIT_PER_IP": str,
    "MODERATOR_LOGIN_LIMIT": str,
    "COMMENT_MIN_FILL_SECONDS": float,
    "NEWSROOM_TIMEZONE": str,
}


class Defaults:
    MIN_CROWD = 5
    TRUSTED_PROXIES = 0
    MAX_CONTENT_LENGTH = 64 * 1024
    REDIS_URL: str | None = None
    FRAME_ANCESTORS = "'self'"
    # Sites whose pages may embed the forecast form (origins, space- or comma-separated, e.g.
    # "https://news.example https://www.news.example"); elsewhere the embed shows a link.
    EMBED_ORIGINS: str | tuple[str, ...] = ()
    # The height the loader reserves before the frame reports its own (pixels).
    EMBED_HEIGHT = 520
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = 365 * 24 * 3600
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    API_TITLE = "predictions"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    SEED_QUESTION = True
    # Behind HTTPS: Secure cookies, https URLs and HSTS (see finish_config).
    PRODUCTION = False
    HSTS_MAX_AGE = 365 * 24 * 3600
    # Seconds a SQLite writer waits for the lock before the request is answered 503.
    SQLITE_BUSY_TIMEOUT = 5.0
    # The IANA zone (zoneinfo) in which editors enter and read opening and closing times;
    # the database keeps UTC.
    NEWSROOM_TIMEZONE = "UTC"

    # Comments and abuse limits (SPEC §6). Per reader, and per IP-prefix hash: many readers can
    # share one /24 (offices, mobile carriers), so the per-IP limits are wider.
    RATELIMIT_ENABLED = True
    RATELIMIT_KEY_PREFIX = "predictions"
    COMMENT_LIMIT = "1 per 15 seconds;20 per day"
    COMMENT_LIMIT_PER_IP = "5 per 15 seconds;200 per day"
    COMMENT_EDIT_LIMIT = "10 per hour"
    FORECAST_LIMIT = "30 per hour"
    FORECAST_LIMIT_PER_IP = "300 per hour"
    FLAG_LIMIT = "10 per hour"
    FLAG_LIMIT_PER_IP = "60 per hour"
    NEW_READER_LIMIT_PER_IP = "50 per day"
    MODERATOR_LOGIN_LIMIT = "5 per minute"  # attempts per IP-prefix hash, right or wrong
    COMMENT_MIN_FILL_SECONDS = 3.0
    COMMENT_EDIT_WINDOW_SECONDS = 600
    COMMENT_PAGE_SIZE = 20
    FLAG_REPORT_THRESHOLD = 3

    # How far the recency-weighted median may lag behind the crowd's other numbers, which are
    # always current (0: never; it is then computed on the request path after every change).
    AGGREGATE_CACHE_SECONDS = 5.0
    # How long a worker keeps a question's crowd of one version (0: not at all). Every change
    # of the crowd moves the version, so this bounds memory, not staleness.
    CROWD_CACHE_SECONDS = 60.0
    # Recompute a lagging recency median in a thread of the worker (in-process tests: at once).
    CROWD_REFRESH_IN_BACKGROUND = True
    AGGREGATE_CACHE_PREFIX = "predictions:cache:"
    # After Redis (or the rate-limit file) fails, each worker counts limits and caches in its
    # own memory for this long before trying it again.
    FALLBACK_RETRY_SECONDS = 5.0


def from_environment(environ: dict[str, str] | None = None) -> dict[str, object]:
    """Settings given as environment variables, converted to their types."""
    environ = os.environ if environ is None else environ
    return {
        name: convert(environ[name])
        for name, convert in ENVIRONMENT_SETTINGS.items()
        if environ.get(name)
    }


def database_uri(url: str) -> str:
    """Point plain postgres URLs at the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def instance_secret_key(instance_path: str) -> str:
    """A secret key generated once into instance/, readable by its owner only, then reused."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        # Write aside, then link into place: workers starting together agree on one key.
        scratch = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_hex(32))
        try:
            os.link(scratch, path)
        except FileExistsError:
            pass
        finally:
            scratch.unlink()
    return path.read_text().strip()


def engine_options(settings: dict) -> dict:
    """SQLAlchemy engine options; a SQLite writer waits SQLITE_BUSY_TIMEOUT for the lock."""
    options = dict(settings["SQLALCHEMY_ENGINE_OPTIONS"])
    if settings["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        connect_args = dict(options.get("connect_args", {}))
        connect_args["timeout"] = settings["SQLITE_BUSY_TIMEOUT"]
        options["connect_args"] = connect_args
    return options


def ratelimit_storage_uri(settings: dict, instance_path: str) -> str:
    """Where the abuse limits count: Redis when REDIS_URL is set; else a SQLite file that every
    worker of the machine shares and that outlives them, beside a SQLite database (its own
    counters for each database) or in instance/. A test app counts in memory, afresh."""
    if settings.get("REDIS_URL"):
        return settings["REDIS_URL"]
    if settings.get("TESTING"):
        return "memory://"
    folder = Path(instance_path)
    url = make_url(settings["SQLALCHEMY_DATABASE_URI"])
    database = url.database or ":memory:"
    if url.get_backend_name() == "sqlite" and not database.startswith((":memory:", "file:")):
        folder = Path(database).resolve().parent
    return f"sqlite:///{folder / 'rate-limits.db'}"


def origins(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Origins as the browser sends them: scheme://host[:port], lowercase, no path."""
    items = value.replace(",", " ").split() if isinstance(value, str) else value
    return tuple(dict.fromkeys(item.strip().rstrip("/").lower() for item in items if item.strip()))


def production_settings(settings: dict) -> dict[str, object]:
    """What PRODUCTION=1 turns on: cookies only over HTTPS, and https URLs."""
    if not settings.get("PRODUCTION"):
        return {}
    return {
        "SESSION_COOKIE_SECURE": True,
        "REMEMBER_COOKIE_SECURE": True,
        "PREFERRED_URL_SCHEME": "https",
    }
