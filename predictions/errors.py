"""One root for what the domain refuses; web/errors.py maps each kind to HTTP once.

Services raise these with a message for people and, where input is at fault, messages per
field. They carry no HTTP status and never roll back: the edge that catches them does.
"""


class DomainError(Exception):
    """Something the domain refuses to do."""

    def __init__(
        self, message: str | None = None, errors: dict | None = None, *, field: str | None = None
    ):
        """A message, and per-field messages: `errors`, or the message about one `field`.
        Without a message, the per-field messages make it."""
        if message is None:
            message = " ".join(m for ms in (errors or {}).values() for m in ms)
        super().__init__(message)
        self.message = message
        self.errors = errors if errors is not None else ({field: [message]} if field else {})


class NotFound(DomainError):
    """No such question, comment, reader or scenario."""


class Conflict(DomainError):
    """The state does not allow it now: closed, resolved, decided meanwhile, a duplicate."""


class Refused(DomainError):
    """Not for this caller: another reader's comment, one's own comment to flag."""


class Invalid(DomainError):
    """Well-formed input that breaks a rule."""
