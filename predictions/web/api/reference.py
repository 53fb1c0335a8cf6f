"""What the OpenAPI document tells a developer: tag names, the two bearer schemes, who may call
each operation. The browsable reference itself is web/api_docs.py."""

from apispec import BasePlugin

# Blueprint name (internal, part of every endpoint's name) → the tag a developer reads.
TAGS = {
    "questions": "Questions",
    "forecasts": "Forecasts",
    "aggregates": "Crowd",
    "scores": "Scores",
    "comments_api": "Comments",
    "privacy_api": "Your data",
    "moderation_api": "Moderation",
}
READER = "readerToken"
MODERATOR = "moderatorToken"
SECURITY_SCHEMES = {
    READER: {
        "type": "http",
        "scheme": "bearer",
        "description": (
            "A reader's token, returned once as `reader_token` by the first forecast or comment "
            "sent without one. Optional everywhere: without it (or the site's session cookie) "
            "you are a new reader. Requests that send it need no CSRF token. An embed token "
            "(`emb_…`, from a forecast sent with `?token=embed`) is accepted only by its "
            "question's forecast calls and aggregate; elsewhere it is a 403."
        ),
    },
    MODERATOR: {
        "type": "http",
        "scheme": "bearer",
        "description": (
            "A moderator's personal token (it starts with `mod_`), created on the server with "
            "`flask moderators token NAME`. A moderator's logged-in session with its "
            "`X-CSRFToken` header works too."
        ),
    },
}
# Reader operations work without credentials ({}), or as the reader the token names.
READER_SECURITY = [{}, {READER: []}]
MODERATOR_SECURITY = [{MODERATOR: []}]


class ReferencePlugin(BasePlugin):
    """Gives each operation its reader-facing tag and the credentials it takes."""

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        for operation in (operations or {}).values():
            tags = [TAGS.get(tag, tag) for tag in operation.get("tags", [])]
            operation["tags"] = tags
            moderators_only = "Moderation" in tags
            operation.setdefault(
                "security", MODERATOR_SECURITY if moderators_only else READER_SECURITY
            )


def finish_document(spec) -> None:
    """The security schemes, and the tag list under the names the operations use."""
    for name, scheme in SECURITY_SCHEMES.items():
        spec.components.security_scheme(name, scheme)
    # flask-smorest declares each blueprint's tag under the blueprint's own name; apispec keeps
    # the list in `_tags` with no public way to rename an entry.
    for tag in spec._tags:
        tag["name"] = TAGS.get(tag["name"], tag["name"])
