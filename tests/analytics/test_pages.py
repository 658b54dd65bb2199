"""Analytics pages as a PM reads them: labelled charts, the campaign page's cell labels, and the
confirmation of a drafted re-collection."""

import re

import pytest

from labelhub.campaigns.models import Campaign, Prompt
from tests.analytics.factories import clip
from tests.factories import CampaignFactory, QuotaCellFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def jeju() -> Campaign:
    """A Korean campaign whose Jeju cell has 2.4 collected minutes against a 0.8 target."""
    campaign = CampaignFactory(name="제주 수집", language="ko")
    QuotaCellFactory(
        campaign=campaign,
        age_band="20s",
        gender="female",
        dialect="jeju",
        target_minutes=0.8,
        target_clips=4,
        target_speakers=4,
    )
    QuotaCellFactory(campaign=campaign, age_band="60s", gender="male", dialect="jeolla")
    for _n in range(4):
        clip(campaign=campaign, age_band="20s", gender="female", dialect="jeju", seconds=36.0)
    Prompt.objects.create(campaign=campaign, text="안녕하세요")
    Prompt.objects.create(campaign=campaign, text="감사합니다")
    return campaign


def chart(html: str, chart_id: str) -> str:
    return re.search(rf'<svg[^>]*id="{chart_id}".*?</svg>', html, re.S).group(0)


def test_the_coverage_chart_labels_collected_and_target_at_their_own_bars(client, pm, jeju):
    client.force_login(pm)

    svg = chart(client.get(f"/analytics/{jeju.pk}/").content.decode(), "coverage-chart")

    texts = re.findall(r'<text class="value" x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)</text>', svg)
    placed = {text: (float(x), float(y)) for x, y, text in texts}
    assert {"target 0.8", "collected 2.4", "approved 2.4"} <= set(placed)
    # Each figure stands at the end of its own bar, on its row: not the target beside the
    # longest bar.
    assert placed["target 0.8"][0] < placed["collected 2.4"][0]
    assert placed["target 0.8"][1] < placed["collected 2.4"][1] < placed["approved 2.4"][1]


def test_korean_tables_and_charts_use_the_campaign_pages_cell_labels(client, pm, jeju):
    client.force_login(pm)

    html = client.get(f"/analytics/{jeju.pk}/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    gaps = client.get(f"/analytics/{jeju.pk}/gaps/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    by_dialect = client.get(
        f"/analytics/{jeju.pk}/", {"by": "dialect"}, HTTP_ACCEPT_LANGUAGE="ko"
    ).content.decode()

    assert "20대 · 여성 · 제주 방언" in html and "60대 · 남성 · 전라 방언" in gaps
    assert "20s / female" not in html and "60s / male" not in gaps
    assert "제주 방언: CER" in by_dialect and ">jeju<" not in by_dialect
    csv = client.get(f"/analytics/{jeju.pk}/coverage.csv").content.decode()
    assert csv.splitlines()[0].startswith("cell_id,cell,")  # CSV keeps the machine codes
    assert "20s / female / jeju" in csv


def test_drafting_a_recollection_confirms_what_it_created_and_links_it(client, pm, jeju):
    client.force_login(pm)

    response = client.post(f"/analytics/{jeju.pk}/recollect/", {"name": "전라 보충"}, follow=True)

    child = jeju.children.get()
    html = response.content.decode()
    box = html[html.index('id="drafted"') :]
    assert "전라 보충" in box
    assert "1 quota cell:" in box and "60s · Male · Jeolla dialect" in box
    assert "2 prompts copied." in box
    assert f'id="drafted-link" href="/campaigns/{child.pk}/"' in box
    assert client.get(f"/campaigns/{child.pk}/").status_code == 200


def test_an_unknown_or_foreign_drafted_id_shows_no_confirmation(client, pm, jeju):
    other = CampaignFactory()
    client.force_login(pm)

    for raw in ("abc", str(other.pk), "99999"):
        html = client.get(f"/analytics/{jeju.pk}/gaps/", {"drafted": raw}).content.decode()
        assert 'id="drafted"' not in html
