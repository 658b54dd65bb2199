"""Default dialect and region lists per language, used when a campaign leaves its own lists empty.

Stored values are stable codes (dialects: lowercase slugs; regions: the place's romanised name),
so data stays comparable across campaigns; labels are translated for display only.
"""

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from labelhub.campaigns.models import Campaign

if TYPE_CHECKING:  # django-stubs' helper type; not installed at run time
    from django_stubs_ext import StrOrPromise


class Gender(models.TextChoices):
    """A speaker's gender, as speakers record it and quota cells and releases filter by it."""

    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other / not stated")


class AgeBand(models.TextChoices):
    """A speaker's age band (decades), as speakers record it and quota cells target it."""

    TEENS = "10s", _("10s")
    TWENTIES = "20s", _("20s")
    THIRTIES = "30s", _("30s")
    FORTIES = "40s", _("40s")
    FIFTIES = "50s", _("50s")
    SIXTIES = "60s", _("60s")
    SEVENTIES_PLUS = "70s+", _("70s and over")


# (code, label): the label a lazy translation, read in the language of whoever displays it.
Choices = list[tuple[str, "StrOrPromise"]]

# Korean: the dialect groups used by the NIKL and AI Hub corpora, standard (Seoul) first.
KOREAN_DIALECTS: Choices = [
    ("standard", _("Standard (Seoul)")),
    ("gyeonggi", _("Gyeonggi dialect")),
    ("gangwon", _("Gangwon dialect")),
    ("chungcheong", _("Chungcheong dialect")),
    ("jeolla", _("Jeolla dialect")),
    ("gyeongsang", _("Gyeongsang dialect")),
    ("jeju", _("Jeju dialect")),
]

# Korean: the first-level divisions (special/metropolitan cities and provinces).
KOREAN_REGIONS: Choices = [
    ("Seoul", _("Seoul")),
    ("Busan", _("Busan")),
    ("Daegu", _("Daegu")),
    ("Incheon", _("Incheon")),
    ("Gwangju", _("Gwangju")),
    ("Daejeon", _("Daejeon")),
    ("Ulsan", _("Ulsan")),
    ("Sejong", _("Sejong")),
    ("Gyeonggi", _("Gyeonggi Province")),
    ("Gangwon", _("Gangwon Province")),
    ("North Chungcheong", _("North Chungcheong Province")),
    ("South Chungcheong", _("South Chungcheong Province")),
    ("North Jeolla", _("North Jeolla Province")),
    ("South Jeolla", _("South Jeolla Province")),
    ("North Gyeongsang", _("North Gyeongsang Province")),
    ("South Gyeongsang", _("South Gyeongsang Province")),
    ("Jeju", _("Jeju Province")),
]

# English: the accent groups speech corpora commonly balance (e.g. Common Voice's accents).
ENGLISH_DIALECTS: Choices = [
    ("general_american", _("General American")),
    ("southern_us", _("Southern US")),
    ("african_american", _("African American English")),
    ("canadian", _("Canadian")),
    ("british", _("British (England)")),
    ("scottish", _("Scottish")),
    ("irish", _("Irish")),
    ("australian", _("Australian")),
    ("new_zealand", _("New Zealand")),
    ("south_african", _("South African")),
    ("indian", _("Indian")),
    ("non_native", _("Non-native speaker")),
]

ENGLISH_REGIONS: Choices = [
    ("United States", _("United States")),
    ("Canada", _("Canada")),
    ("United Kingdom", _("United Kingdom")),
    ("Ireland", _("Ireland")),
    ("Australia", _("Australia")),
    ("New Zealand", _("New Zealand")),
    ("South Africa", _("South Africa")),
    ("India", _("India")),
    ("Singapore", _("Singapore")),
    ("Philippines", _("Philippines")),
    ("Other", _("Other")),
]

DEFAULTS: dict[str, tuple[Choices, Choices]] = {
    "ko": (KOREAN_DIALECTS, KOREAN_REGIONS),
    "en": (ENGLISH_DIALECTS, ENGLISH_REGIONS),
}


def _primary_language(language: str) -> str:
    # "ko-KR" and "ko" share Korean's lists.
    return language.split("-")[0].split("_")[0].lower()


def default_dialects(language: str) -> Choices:
    return list(DEFAULTS.get(_primary_language(language), ([], []))[0])


def default_regions(language: str) -> Choices:
    return list(DEFAULTS.get(_primary_language(language), ([], []))[1])


def _with_labels(codes: list[str], known: Choices) -> Choices:
    # A campaign's own list may reuse known codes (any language's: Korean speakers of an English
    # campaign keep Korean dialects): those keep their translated label.
    labels = {code: name for lists in DEFAULTS.values() for pairs in lists for code, name in pairs}
    labels |= dict(known)
    return [(code, labels.get(code, code)) for code in codes]


def dialect_choices_for(campaign: Campaign) -> Choices:
    """The dialects a campaign plans for: its own list, else its language's defaults."""
    defaults = default_dialects(campaign.language)
    if campaign.dialect_choices:
        return _with_labels(campaign.dialect_choices, defaults)
    return defaults


def region_choices_for(campaign: Campaign) -> Choices:
    """The regions a campaign plans for: its own list, else its language's defaults."""
    defaults = default_regions(campaign.language)
    if campaign.region_choices:
        return _with_labels(campaign.region_choices, defaults)
    return defaults
