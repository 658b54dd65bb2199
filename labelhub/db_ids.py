"""Filtering by a big set of ids: one PostgreSQL array parameter, not one placeholder per id.

``Model.objects.filter(pk__in=among(ids))``. A list of N ids is N placeholders: psycopg parses
such a query on the client each time (too long for its cache, ~50 ms at 2,000 ids), and
PostgreSQL plans an N-element list; a release of 100,000 clips sent several such queries of
100,000 each for its datasheet. One ``bigint[]`` parameter is one value whatever N is, and the
planner joins its ``unnest`` as a set.
"""

from collections.abc import Iterable

from django.db import connection
from django.db.models.expressions import RawSQL


def among(ids: Iterable[int]) -> list[int] | RawSQL:
    """The right side of an ``__in`` lookup over ``ids``: an array on PostgreSQL, else a list
    (SQLite, the embedded default, has no arrays)."""
    listed = list(ids)
    if connection.vendor != "postgresql":
        return listed
    return RawSQL("SELECT unnest(%s::bigint[])", (listed,))
