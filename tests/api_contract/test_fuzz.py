"""Schemathesis against the live server, once per role: no 5xx, every response as documented.

The schema comes from the running server's /api/schema/; path ids name real objects of the
access matrix's world (client A's open campaign), so requests reach the views instead of 404.
Each role gets its token (a speaker: the signed invite link in the path, no account). Bounded:
a few generated cases per operation and role, no shrinking, so it stays near two minutes here.
"""

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from schemathesis import checks

from tests.security.access_world import (
    ANONYMOUS,
    CLIENT_A,
    LABELER,
    PM,
    REVIEWER,
    A,
    World,
    world_build,
)

SPEAKER = "speaker"
ROLES = (PM, LABELER, REVIEWER, CLIENT_A, SPEAKER, ANONYMOUS)
EXAMPLES_PER_OPERATION = 3
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


def error_shape(ctx: object, response: Any, case: Any) -> bool | None:
    """Every 4xx under /api/ is JSON in the documented shape (the Error component)."""
    if not 400 <= response.status_code < 500:
        return None
    body = response.json()
    error = body.get("error") if isinstance(body, dict) else None
    assert isinstance(error, dict), f"{response.status_code} without an error object: {body!r}"
    assert isinstance(error.get("code"), str) and isinstance(error.get("message"), str), body
    return True


def _path_parameters(world: World, path: str) -> dict[str, object]:
    values = dict(world.ids[A])
    if "/channels/" in path or "/environments/" in path:
        route = next(
            values
            for route, values in world.by_route[A].items()
            if route.startswith("api/") and ("channels" in route) == ("/channels/" in path)
        )
        values |= route
    return values


def _headers(world: World, role: str) -> dict[str, str]:
    user = world.users.get(role)
    if user is None:  # anonymous, or a speaker holding only the invite link
        return {}
    return {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


def _run(
    operation: Any, role: str, world: World, base_url: str, cases: list[str]
) -> Callable[[], None]:
    names = {parameter.name for parameter in operation.path_parameters}
    fixed = _path_parameters(world, operation.path)
    headers = _headers(world, role)

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy(path_parameters={n: fixed[n] for n in names if n in fixed}))
    def run(case: Any) -> None:
        cases.append(operation.label)
        case.call_and_validate(
            base_url=base_url, headers=headers, checks=CHECKS, additional_checks=[error_shape]
        )

    return run


@pytest.mark.django_db(transaction=True)
def test_every_operation_for_every_role(live_server: Any) -> None:
    world = world_build()
    world.users[SPEAKER] = None
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: list[str] = []
    cases: list[str] = []
    for role in ROLES:
        for operation in operations:
            try:
                _run(operation, role, world, live_server.url, cases)()
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # noqa: B036 -- a FailureGroup; report them all at the end
                failures.append(f"[{role}] {operation.label}: {str(exc)[:1500]}")
    print(f"{len(operations)} operations x {len(ROLES)} roles: {len(cases)} cases")
    assert len(operations) > 80 and len(cases) >= len(operations) * len(ROLES)
    assert not failures, "\n\n".join(failures)
