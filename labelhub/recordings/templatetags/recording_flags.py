from django import template

from labelhub.recordings.flag_labels import flag_label

register = template.Library()


@register.filter
def flag_labels(codes: list[str] | None) -> str:
    """A recording's flag codes as the names a person reads, comma-separated."""
    return ", ".join(flag_label(code) for code in codes or [])
