from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "labelhub.analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        # The release datasheet prints the dashboard's figures; releases cannot import
        # analytics (analytics imports releases), so the function is handed down here.
        from labelhub.analytics.datasheet import datasheet_figures
        from labelhub.releases.datasheet import datasheet_figures_provide

        datasheet_figures_provide(datasheet_figures)
