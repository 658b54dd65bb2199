"""Model instances from rows of hand-written SQL, converted as the ORM converts its own reads.

For the few hot paths whose queries are written out (labeling.claim_sql, the token lookup in
accounts.authentication): building a query through the ORM cost more CPU than running it.
"""

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model

M = TypeVar("M", bound=Model)


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
