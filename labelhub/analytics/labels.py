"""Display labels for quota cells and analytics groups, the campaign page's own ("20대 여성 ·
제주"), in the active language. CSV columns and URLs keep the machine codes."""

from django.utils.translation import gettext

from labelhub.campaigns.models import Campaign, QuotaCell
from labelhub.campaigns.quota_cells import CELL_DIMENSIONS, cell_value_labels

SEPARATOR = " · "


def cell_label(cell: QuotaCell, labels: dict[str, dict[str, str]] | None = None) -> str:
    """The cell's non-blank values, labelled; `labels` (cell_value_labels) saves a lookup per
    cell when many cells of one campaign are labelled."""
    labels = labels if labels is not None else cell_value_labels(cell.campaign)
    parts = [
        str(labels[dimension].get(value, value))
        for dimension in CELL_DIMENSIONS
        if (value := getattr(cell, dimension))
    ]
    return SEPARATOR.join(parts) or gettext("any speaker")


class GroupLabels:
    """Labels the groups of one campaign's analytics rows: a cell's str() or a "/"-joined code
    per dimension of a (crossed) grouping, such as "jeolla / 60s"."""

    def __init__(self, campaign: Campaign) -> None:
        self.values = cell_value_labels(campaign)
        self.cells = {
            str(cell): cell_label(cell, self.values)
            for cell in QuotaCell.objects.filter(campaign=campaign)
        }

    def cell(self, cell: QuotaCell) -> str:
        return cell_label(cell, self.values)

    def group(self, dimension: str, group: str) -> str:
        if dimension == "cell":
            return self.cells.get(group, group)
        parts, values = dimension.split("+"), group.split(" / ")
        if len(parts) != len(values):
            return group
        return " / ".join(
            str(self.values.get(part, {}).get(value, value))
            for part, value in zip(parts, values, strict=True)
        )
