"""Every route LabelHub serves, read from the URL resolver, so a new endpoint joins the
security tests (the access matrix, the hostile-value walk) without anyone listing it."""

from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# Django's own apps guard themselves (admin) or serve only static catalogues.
SKIPPED_PREFIXES = ("admin/", "i18n/", "jsi18n/", "static/")


@dataclass(frozen=True)
class Endpoint:
    route: str  # the full route as written in the urlconfs, e.g. "api/tasks/<int:task_id>/skip/"
    name: str
    kwargs: tuple[str, ...]  # the route's converters' names, in order

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")

    def url(self, **values: object) -> str:
        """The route with each <converter:name> replaced by values[name]."""
        path = self.route
        for name in self.kwargs:
            start = path.index("<")
            end = path.index(">", start)
            path = path[:start] + str(values[name]) + path[end + 1 :]
        return "/" + path


def _walk(patterns: list, prefix: str) -> Iterator[Endpoint]:
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            converters = entry.pattern.converters if hasattr(entry.pattern, "converters") else {}
            names = tuple(part.split(">", 1)[0].split(":")[-1] for part in route.split("<")[1:])
            assert set(names) >= set(converters), route
            yield Endpoint(route=route, name=entry.name or route, kwargs=names)


def all_endpoints() -> list[Endpoint]:
    endpoints = _walk(get_resolver().url_patterns, "")
    return sorted(
        (e for e in endpoints if not e.route.startswith(SKIPPED_PREFIXES)), key=lambda e: e.route
    )
