"""The product's error classes: each message says what is wrong, where, and how to fix it."""


class CollectionsError(Exception):
    """Base class for every error the product raises on purpose."""


class ConfigError(CollectionsError):
    """A policy, connection or run parameter is invalid."""


class FeedError(CollectionsError):
    """The day's feed is missing, unreadable, or fails the reject-ratio gate."""


class MigrationError(CollectionsError):
    """The database schema cannot be brought to the code's version safely."""
