"""The API's JSON renderer: a non-finite float is written as null, never a 500.

Defence in depth: nothing should store NaN or infinity (ingest clamps levels), but a figure
computed on the fly (a rate over zero items) must not take the whole response down, and
strict JSON has no token for them.
"""

import math
from typing import Any

from django.db import models
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer


def finite_or_null(data: Any) -> Any:
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: finite_or_null(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [finite_or_null(value) for value in data]
    return data


class FiniteJSONRenderer(JSONRenderer):
    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context=None):
        return super().render(finite_or_null(data), accepted_media_type, renderer_context)


class FiniteFloatField(serializers.FloatField):
    """A float field that reads a stored NaN or infinity as null, for any output, not just JSON
    (the browsable API, a CSV built from serializer data)."""

    # The stubs type FloatField's output as str; DRF's FloatField.to_representation is float().
    def to_representation(self, value: Any) -> float | None:  # type: ignore[override]
        number = float(value)
        return number if math.isfinite(number) else None


class FiniteFloatsMixin:
    """For ModelSerializers: every model FloatField is written as a FiniteFloatField."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.FloatField: FiniteFloatField,
    }
