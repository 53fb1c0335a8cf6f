"""predictions: a live, moderated crowd forecast beside a news article."""

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask

from . import config


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then environment, then test overrides."""
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_object(config.Defaults)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path)}/predictions.db"
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_mapping(config.from_environment())
    if test_config:
        app.config.from_mapping(test_config)
    finish_config(app)

    register_extensions(app)
    register_converters(app)
    register_request_hooks(app)
    register_login_manager(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def finish_config(app: Flask) -> None:
    """Derive settings that depend on others."""
    if url := app.config.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["SQLALCHEMY_DATABASE_URI"] = config.database_uri(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    app.config["SECRET_KEY_GENERATED"] = not app.config.get("SECRET_KEY")
    if app.config["SECRET_KEY_GENERATED"]:
        app.config["SECRET_KEY"] = config.instance_secret_key(app.instance_path)
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", config.ratelimit_storage_uri(app.config, app.instance_path)
    )
    if app.config["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://")):
        # A Redis that hangs costs a request one second, then web/limits counts in memory.
        app.config.setdefault(
            "RATELIMIT_STORAGE_OPTIONS", {"socket_timeout": 1, "socket_connect_timeout": 1}
        )
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = config.engine_options(app.config)
    app.config["EMBED_ORIGINS"] = config.origins(app.config["EMBED_ORIGINS"])
    window = timedelta(seconds=app.config["COMMENT_EDIT_WINDOW_SECONDS"])
    app.config["COMMENT_EDIT_WINDOW"] = window
    app.config.update(config.production_settings(app.config))
    ZoneInfo(app.config["NEWSROOM_TIMEZONE"])  # an unknown zone stops the start, not a request


def register_extensions(app: Flask) -> None:
    from .extensions import csrf, db, migrate
    from .web import limits

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    limits.init_app(app)


def register_converters(app: Flask) -> None:
    from .web import converters

    converters.init_app(app)


def register_request_hooks(app: Flask) -> None:
    """Around every request: the access log, proxy and security headers, the write regime."""
    from .web import request_log, security, writes

    request_log.init_app(app)
    security.init_app(app)
    writes.init_app(app)


def register_login_manager(app: Flask) -> None:
    from .web.moderation import auth

    auth.init_app(app)


def register_blueprints(app: Flask) -> None:
    from .web import api, api_docs, health, moderation, oembed, pages

    pages.init_app(app)
    health.init_app(app)
    oembed.init_app(app)
    moderation.init_app(app)
    api.init_app(app)
    api_docs.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    from .web import errors

    errors.init_app(app)


def register_commands(app: Flask) -> None:
    from . import cli

    cli.init_app(app)
