"""A build's item rows wait in a scratch file and come back as they went in."""

import pytest

from labelhub.releases import item_rows
from labelhub.releases.item_rows import ItemRow, ItemRows
from labelhub.releases.models import Release
from tests.factories import CampaignFactory
from tests.releases.test_services import built_release, corrected_recording


def _row(number: int, span: tuple[float, float] | None = None) -> ItemRow:
    path = f"train/audio/화자/{number}.wav"
    return ItemRow(number, number + 1, 7, "train", path, "ab" * 32, span)


def test_item_rows_come_back_in_order_with_their_spans(monkeypatch) -> None:
    monkeypatch.setattr(item_rows, "IN_MEMORY_BYTES", 100)  # on disk after a row or so
    rows = ItemRows()
    added = [_row(number, (1.5, 2.25) if number % 2 else None) for number in range(500)]
    for row in added:
        rows.append(row)
    assert rows.file._rolled  # the rows went to disk
    assert len(rows) == 500
    assert list(rows) == added
    rows.append(_row(500))
    assert list(rows) == [*added, _row(500)]  # read twice, appended after a read
    rows.close()


@pytest.mark.django_db
def test_a_build_closes_its_rows_once_they_are_stored(monkeypatch) -> None:
    closed: list[tuple[int, bool]] = []
    close = ItemRows.close

    def close_and_note(rows: ItemRows) -> None:
        close(rows)
        closed.append((rows.count, rows.file.closed))

    monkeypatch.setattr(ItemRows, "close", close_and_note)
    campaign = CampaignFactory()
    corrected_recording(campaign, "Turn on the TV.")

    release = built_release(campaign)

    assert release.status == Release.Status.PUBLISHED, release.error
    assert release.items.count() == 1
    assert closed == [(1, True)]  # closed once, after its one row went into ReleaseItem
