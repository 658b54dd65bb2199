from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SpeakersConfig(AppConfig):
    name = "labelhub.speakers"
    verbose_name = _("Speakers")
