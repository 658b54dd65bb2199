"""Display labels for quota cells and analytics groups, the campaign page's own ("20대 여성 ·
제주"), in the active language. CSV columns and URLs keep the machine codes."""

from labelhub.campaigns.models import Campaign, QuotaCell
from labelhub.campaigns.quota_cells import cell_label, cell_value_labels

__all__ = ["GroupLabels", "cell_label"]


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
