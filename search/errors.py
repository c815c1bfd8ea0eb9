"""Exceptions the app catches to fall back to its database search."""


class SearchUnavailable(Exception):
    """The index is missing, corrupt, built by other analysis code, or unreadable."""


class IndexLocked(SearchUnavailable):
    """Another writer held the index lock for the whole timeout; retry later."""
