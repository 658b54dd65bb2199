"""How release pages and the datasheet write durations and shares for people."""

from django.utils.translation import gettext as _


def duration_text(seconds: float) -> str:
    """ "1:02:03" from an hour up, "12 min 05 s" below it (0.01 h tells nobody anything)."""
    total = round(seconds or 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return _("%(minutes)d min %(seconds)02d s") % {"minutes": minutes, "seconds": secs}


def percent_text(share: float | None, *, digits: int = 1) -> str:
    """A 0..1 share as "65.5%"; None (nothing to measure) as "n/a"."""
    if share is None:
        return _("n/a")
    return f"{share * 100:.{digits}f}%"
