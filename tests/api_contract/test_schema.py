"""The OpenAPI schema: served, valid, complete, and the same map as GET /api/."""

import re

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

ERROR_REF = "#/components/schemas/Error"


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_schema_is_valid_openapi(schema: dict) -> None:
    validate_schema(schema)  # raises on a broken document
    assert schema["openapi"].startswith("3.")


def test_the_schema_is_served_as_json_without_a_login() -> None:
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/campaigns/" in response.json()["paths"]


def test_swagger_ui_is_served_from_this_site_only() -> None:
    page = Client().get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("swagger-ui" in source for source in sources)
    # No CDN: every script and style comes from this site (the browser tests run offline).
    assert all(not source.startswith(("http:", "https:", "//")) for source in sources), sources
    script = next(source for source in sources if "script" in source)
    assert Client().get(script).status_code == 200


def test_the_api_index_lists_exactly_the_schemas_paths(schema: dict) -> None:
    endpoints = Client().get("/api/").json()["endpoints"]
    listed = {url.split("?")[0] for url in endpoints.values()} - {"/api/schema/", "/api/docs/"}
    assert listed == set(schema["paths"])


def test_every_operation_documents_the_error_shape(schema: dict) -> None:
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]
    assert len(operations) > 80
    for path, method, operation in operations:
        errors = {
            code: response
            for code, response in operation["responses"].items()
            if code.startswith("4")
        }
        assert {"400", "403"} <= set(errors), (method, path)
        if "{" in path:
            assert "404" in errors, (method, path)
        for response in errors.values():
            assert response["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    assert error["properties"]["error"]["required"] == ["code", "message"]


def test_anonymous_callers_get_401_documented_where_a_token_is_needed(schema: dict) -> None:
    assert "401" in schema["paths"]["/api/campaigns/"]["get"]["responses"]
    # The recorder's endpoints take the signed invite link instead of an account.
    assert "401" not in schema["paths"]["/api/record/{token}/"]["get"]["responses"]
    assert "429" in schema["paths"]["/api/auth/token/"]["post"]["responses"]


def test_what_the_fuzzer_found_is_documented(schema: dict) -> None:
    """Each was a schemathesis failure: an undocumented status or content type."""
    paths = schema["paths"]
    channels = paths["/api/campaigns/{campaign_id}/channels/"]
    assert channels["get"]["responses"]["200"]["content"]["application/json"]["schema"]["type"] == (
        "array"
    )
    assert "201" in channels["post"]["responses"]
    assert "201" in paths["/api/campaigns/{campaign_id}/environments/"]["post"]["responses"]
    assert {"200", "204"} <= set(paths["/api/reviews/claim/"]["post"]["responses"])
    assert {"200", "204"} <= set(paths["/api/tasks/claim/"]["post"]["responses"])
    audio = paths["/api/recordings/{recording_id}/audio/"]["get"]["responses"]
    assert set(audio["206"]["content"]) == {"audio/wav"}
    spectrogram = paths["/api/recordings/{recording_id}/spectrogram/"]["get"]["responses"]
    assert set(spectrogram["200"]["content"]) == {"image/png"}
    for path in ("/api/releases/{release_id}/download/", "/api/releases/{release_id}/archive/"):
        assert set(paths[path]["get"]["responses"]["200"]["content"]) == {"application/zip"}


def test_fields_that_can_be_null_say_so(schema: dict) -> None:
    """Schemathesis met these as null against a non-null schema (a first release, no sign-off)."""
    components = schema["components"]["schemas"]
    release = components["Release"]["properties"]
    for name in ("previous_version", "previous_label", "reissue_of", "superseded_by"):
        assert release[name].get("nullable") is True, name
    assert components["LegalReview"]["properties"]["signed_off_by"]["nullable"] is True


def test_gone_is_documented_where_a_release_or_an_invite_can_be_gone(schema: dict) -> None:
    """Schemathesis met 410 once the PM's fuzzed revoke had revoked the world's release."""
    paths = schema["paths"]
    assert "410" in paths["/api/releases/{release_id}/download-url/"]["get"]["responses"]
    assert "410" in paths["/api/releases/{release_id}/renditions/"]["post"]["responses"]
    assert "410" in paths["/api/record/{token}/"]["get"]["responses"]
    assert "410" not in paths["/api/campaigns/"]["get"]["responses"]


def test_no_operation_answers_free_form_json(schema: dict) -> None:
    """Every success body is described: no 2XX catch-all with an empty schema (45 before)."""
    free_form = [
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if "2XX" in operation["responses"]
        or any(
            response.get("content", {}).get("application/json", {}).get("schema") == {}
            for code, response in operation["responses"].items()
            if code.startswith("2")
        )
    ]
    assert free_form == []


def test_paged_lists_are_described_as_pages(schema: dict) -> None:
    paths, components = schema["paths"], schema["components"]["schemas"]
    pages = {
        "/api/recordings/": ("PaginatedRecordingList", {"page", "page_size"}),
        "/api/releases/{release_id}/changes/": ("PaginatedReleaseChangeList", {"limit", "offset"}),
        "/api/releases/{release_id}/downloads/": (
            "PaginatedDownloadEventList",
            {"limit", "offset"},
        ),
    }
    for path, (component, parameters) in pages.items():
        get = paths[path]["get"]
        body = get["responses"]["200"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{component}"}, path
        assert {"count", "next", "previous", "results"} <= set(components[component]["properties"])
        assert parameters <= {parameter["name"] for parameter in get["parameters"]}, path


def test_the_workbench_endpoints_name_their_bodies(schema: dict) -> None:
    paths = schema["paths"]

    def body(path: str, method: str, code: str) -> dict:
        return paths[path][method]["responses"][code]["content"]["application/json"]["schema"]

    assert body("/api/tasks/{task_id}/submit/", "post", "201") == {
        "$ref": "#/components/schemas/Revision"
    }
    assert body("/api/sources/{source_id}/segments/", "post", "201") == {
        "$ref": "#/components/schemas/Segment"
    }
    recorder = body("/api/record/{token}/", "get", "200")
    assert recorder == {"$ref": "#/components/schemas/RecorderState"}
    submit = paths["/api/tasks/{task_id}/submit/"]["post"]["requestBody"]["content"]
    assert submit["application/json"]["schema"] == {"$ref": "#/components/schemas/SubmitRequest"}


def _properties(schema: dict, component: str, *path: str) -> set[str]:
    """The property names the schema gives at component.path (a list's items, a ref's target)."""
    node = schema["components"]["schemas"][component]
    for name in path:
        node = node["properties"][name]
        node = node.get("items", node)
        if "$ref" in node:
            node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return set(node.get("properties", {}))


@pytest.mark.parametrize(
    ("component", "path", "fields"),
    [
        ("CampaignQueue", ("counts",), {"total", "open", "held", "expired_leases"}),
        ("BulkUploadOut", ("accepted",), {"row", "file", "recording", "uid"}),
        ("BulkUploadOut", ("rejected",), {"row", "file", "code", "error"}),
    ],
)
def test_response_bodies_name_their_fields(schema: dict, component, path, fields) -> None:
    # A free-form object tells a client nothing and lets the fuzz tests accept anything.
    assert fields <= _properties(schema, component, *path)
