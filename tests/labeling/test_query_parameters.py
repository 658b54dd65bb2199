"""Query parameters of the labeling APIs: a bad one is a 400 that names it, never a 500."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["abc", "1'", "-3", str(2**63), "1.5"])
@pytest.mark.parametrize("path", ["/api/triage/", "/api/agreement/"])
def test_a_campaign_that_is_not_an_id_is_refused_by_name(api_for, pm, path, value) -> None:
    response = api_for(pm).get(path, {"campaign": value})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_parameter" and error["parameter"] == "campaign"


def test_agreement_needs_a_campaign(api_for, pm) -> None:
    response = api_for(pm).get("/api/agreement/")

    assert response.status_code == 400 and response.json()["error"]["parameter"] == "campaign"
