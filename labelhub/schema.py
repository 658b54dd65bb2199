"""The OpenAPI schema's conventions, in one place instead of on every view.

Every API error has the shape labelhub.api_errors writes: {"error": {"code", "message", ...}}.
It is described once, as the Error component, and each operation lists the error statuses it
can answer with: 400 everywhere (the request-size guard refuses a malformed Content-Length on
any path), 401 where a token or session is needed, 403 (role, object and CSRF refusals),
404 where the path names an object, 409 and 413 on writes, 429 where a view is throttled.
"""

from typing import Any, Literal

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from rest_framework.permissions import AllowAny

ERROR_COMPONENT = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every API error: a stable code for programs, a message for people.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "Stable, e.g. not_found, invalid."},
                "message": {"type": "string", "description": "In the caller's language."},
                "fields": {
                    "description": "A validation error's messages, per field (code invalid).",
                },
            },
            # A domain error may add details (the newer revision, the offending spans).
            "additionalProperties": True,
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}

ERROR_DESCRIPTIONS = {
    "400": "The request is invalid (code invalid names the fields).",
    "401": "No valid token or session.",
    "403": "The caller's role or the object does not allow this.",
    "404": "No such object, or not one the caller may see.",
    "409": "The object's state does not allow this now.",
    "410": "The link or object is gone (expired, revoked or superseded).",
    "413": "The request body is larger than this endpoint accepts.",
    "429": "Too many requests or a sign-in lockout; see Retry-After.",
}

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_SERIALIZER_HOOKS = ("get_serializer", "get_serializer_class", "serializer_class")


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema, adding the documented error responses to each operation.

    A view may name more statuses in `schema_error_statuses` (e.g. 410 for a signed link)."""

    def _get_serializer(self) -> Any:
        # Plain APIViews without a serializer_class and without @extend_schema: a free-form JSON
        # object in and out (any 2XX), instead of leaving the operation out of the schema.
        view = self.view
        if not any(hasattr(view, name) for name in _SERIALIZER_HOOKS):
            return OpenApiTypes.ANY
        return super()._get_serializer()

    def get_operation_id(self) -> str:
        # Without serializers drf-spectacular cannot tell a list from a detail, and names both
        # GETs `..._retrieve`; a path that ends in its own id is a detail.
        operation_id = super().get_operation_id()
        if self.method == "GET" and not self.path.rstrip("/").endswith("}"):
            operation_id = operation_id.removesuffix("_retrieve") + "_list"
            operation_id = operation_id.replace("_list_list", "_list")
        return operation_id

    def _error_statuses(self) -> set[str]:
        statuses = {"400", "403"}
        permissions = self.view.get_permissions()
        if not permissions or not all(isinstance(p, AllowAny) for p in permissions):
            statuses.add("401")
        if "{" in self.path:
            statuses.add("404")
        if self.method in WRITE_METHODS:
            statuses |= {"409", "413"}
        throttled = getattr(self.view, "throttle_scope", None) or any(
            type(throttle).__name__ != "ScopedWriteThrottle"
            for throttle in self.view.get_throttles()
        )
        if throttled:
            statuses.add("429")
        statuses |= set(map(str, getattr(self.view, "schema_error_statuses", ())))
        return statuses

    def _error_ref(self) -> dict[str, str]:
        component = ResolvedComponent(
            name=ERROR_COMPONENT,
            type=ResolvedComponent.SCHEMA,
            object=ERROR_COMPONENT,
            schema=ERROR_SCHEMA,
        )
        self.registry.register_on_missing(component)
        return component.ref

    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        if self.get_response_serializers() is OpenApiTypes.ANY:
            responses = {
                ("2XX" if code in {"200", "201"} else code): body
                for code, body in responses.items()
            }
        for status in sorted(self._error_statuses()):
            responses.setdefault(
                status,
                {
                    "content": {"application/json": {"schema": self._error_ref()}},
                    "description": ERROR_DESCRIPTIONS[status],
                },
            )
        return responses
