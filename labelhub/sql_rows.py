"""Model instances from rows of hand-written SQL, converted as the ORM converts its own reads.

For the few hot paths whose queries are written out (labeling.claim_sql, the token lookup in
accounts.authentication): building a query through the ORM cost more CPU than running it.
"""

from collections.abc import Sequence
from typing import Any, TypeVar

import psycopg
from django.db import connection
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import Model

M = TypeVar("M", bound=Model)


def hot_cursor() -> CursorWrapper:
    """A cursor for a statement run on every claim or submit: on PostgreSQL its parameters are
    bound on the server, so the statement is prepared once per connection (settings'
    DATABASE_PREPARED_STATEMENTS) and not planned again on each call.

    Django's cursors bind on the client, writing the values into the SQL text; that text
    differs on every call and is planned every time, ~2 ms of PostgreSQL's CPU per claim
    (benchmarks/claim_profile.py). Logged and counted like any other cursor.
    """
    cursor = connection.cursor()  # connects, or reconnects after a failed health check
    if connection.vendor != "postgresql":
        return cursor
    cursor.cursor.close()
    server_bound = psycopg.Cursor(connection.connection)
    if connection.queries_logged:
        return _LoggedCursor(server_bound, connection)
    return CursorWrapper(server_bound, connection)


class _LoggedCursor(CursorDebugWrapper):
    """Logs the statement with its values written in, as Django's own cursors are logged: a
    server-bound cursor keeps no such text for Django to read back."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.debug_sql(psycopg.ClientCursor(self.db.connection).mogrify(sql, params), params):
            return CursorWrapper.execute(self, sql, params)


def select_list(model: type[Model], alias: str) -> str:
    """The model's columns, in field order, as `alias.column, ...`."""
    return ", ".join(f"{alias}.{field.column}" for field in model._meta.concrete_fields)


def width(model: type[Model]) -> int:
    """How many values of a row select_list(model) gives."""
    return len(model._meta.concrete_fields)


def from_row(model: type[M], values: Sequence[Any]) -> M:
    """An instance from the values select_list(model) selected, as if the ORM had read it."""
    fields = model._meta.concrete_fields
    converted = list(values)
    for index, field in enumerate(fields):
        for convert in field.get_db_converters(connection):
            converted[index] = convert(converted[index], field, connection)
    return model.from_db(connection.alias, [field.attname for field in fields], converted)
