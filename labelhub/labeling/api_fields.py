"""Serializer fields built once per class, not on every request.

DRF builds a serializer's fields on each instance: a ModelSerializer reads the model's fields
and maps each to a serializer field, then deep-copies its declared ones. For the claim's and
the submit's serializers that was about a tenth of a request's Python (claim_profile.py).
"""

import copy
from typing import Any

from rest_framework import serializers

# Unbound fields per serializer class: the templates each instance's fields are made from.
_BUILT: dict[type, dict[str, serializers.Field]] = {}


class FieldsBuiltOnce:
    """A Serializer mixin (first in the bases): the fields are built once per class, and each
    instance gets fields of its own, made from them with the arguments they were made with.

    A field is bound to one serializer (a method field calls its parent's method, with that
    parent's context), so instances never share one; only the building is done once. This is
    how DRF's own Field.__deepcopy__ clones a field, less the deep copy of its arguments,
    which no field changes. Only for serializers whose fields do not depend on the request.
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        built = _BUILT.get(type(self))
        if built is None:
            built = _BUILT[type(self)] = super().get_fields()  # type: ignore[misc]
        return {name: _fresh(field) for name, field in built.items()}


def _fresh(field: Any) -> serializers.Field:
    arguments = (*field._args, *field._kwargs.values())
    if any(isinstance(argument, serializers.Field) for argument in arguments):
        # A list's child or a many-relation's child is bound to the field made with it: a
        # shared one would belong to whichever instance came last. Copied whole, as DRF does.
        return copy.deepcopy(field)
    return field.__class__(*field._args, **field._kwargs)
