"""The product's error classes: each message says what is wrong, where, and how to fix it."""


class CollectionsError(Exception):
    """Base class for every error the product raises on purpose."""


class ConfigError(CollectionsError):
    """A policy, connection or run parameter is invalid."""


class FeedError(CollectionsError):
    """The day's feed is missing, unreadable, or fails the reject-ratio gate."""


class MigrationError(CollectionsError):
    """The database schema cannot be brought to the code's version safely."""


class PartnerUnavailable(CollectionsError):
    """A partner's circuit is open: it failed again and again; what waits goes out in a later run."""


class DeliveryRefused(CollectionsError):
    """A partner refused a request for good (a 4xx other than 429), or the retries ran out.

    ``status`` is the partner's last HTTP status (None when it never answered);
    ``retryable`` says whether a later run may succeed (retries ran out) or not (refused).
    """

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = False):
        super().__init__(message)
        self.status, self.retryable = status, retryable
