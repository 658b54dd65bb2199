from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    # An app (not a plain package) for its management command, demo_load.
    name = "labelhub.planning"
    verbose_name = _("Campaign planning")
