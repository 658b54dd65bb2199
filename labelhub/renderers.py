"""The API's JSON renderer: a non-finite float is written as null, never a 500.

Defence in depth: nothing should store NaN or infinity (ingest clamps levels), but a figure
computed on the fly (a rate over zero items) must not take the whole response down, and
strict JSON has no token for them.
"""

import math
from typing import Any

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
