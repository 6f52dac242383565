"""GET /api/indicators and /api/indicators.xlsx over HTTP on 127.0.0.1, with the real Assistant over the
indexed bundled corpus: the values with their citations, the filters, the workbook, the API key, the docs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from assistant.feedback import FeedbackStore
from assistant.server import create_app, serve_in_thread
from assistant.service import Assistant
from assistant.settings import Settings
from tests.assistant.indicator_files import column, header, xlsx_rows

pytestmark = pytest.mark.slow

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KEY = "s3cret-key"


@pytest.fixture(scope="module")
def base_url(
    indexed_settings: Settings, corpus_assistant: Assistant, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    feedback = FeedbackStore(tmp_path_factory.mktemp("feedback") / "feedback.jsonl")
    with serve_in_thread(create_app(indexed_settings, corpus_assistant, feedback=feedback)) as url:
        yield url


@pytest.fixture(scope="module")
def keyed_url(
    indexed_settings: Settings, corpus_assistant: Assistant, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    settings = indexed_settings.model_copy(update={"api_key": KEY})
    feedback = FeedbackStore(tmp_path_factory.mktemp("feedback") / "feedback.jsonl")
    with serve_in_thread(create_app(settings, corpus_assistant, feedback=feedback)) as url:
        yield url


def values_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(value, group=group["label"]) for group in body["indicators"] for value in group["values"]]


def test_grdp_values_come_with_their_period_status_and_citation(base_url: str) -> None:
    response = httpx.get(f"{base_url}/api/indicators", params={"q": "GRDP"}, timeout=120)

    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "GRDP" and body["period"] is None
    values = values_of(body)
    assert body["count"] == len(values) >= 2
    citation = {"source", "title", "number", "date", "location", "quote", "chunk_id"}
    for value in values:
        assert citation <= value.keys()
        assert value["status"] in {"mục tiêu", "ước thực hiện", "thực hiện", "so sánh"}
        assert " ".join(value["value_text"].split()) in " ".join(value["quote"].split())


def test_the_filters_narrow_the_values(base_url: str) -> None:
    values = values_of(httpx.get(f"{base_url}/api/indicators", params={"q": "GRDP"}, timeout=120).json())
    period = next(v["period"] for v in values if v["period"])

    narrowed = httpx.get(f"{base_url}/api/indicators", params={"q": "GRDP", "period": period}, timeout=120).json()
    blank = httpx.get(f"{base_url}/api/indicators", params={"q": "GRDP", "period": " "}, timeout=120).json()

    assert narrowed["period"] == period
    assert values_of(narrowed) and all(period in (v["period"] or "") for v in values_of(narrowed))
    assert blank["period"] is None and blank["count"] == len(values)  # a blank filter is no filter


def test_the_workbook_holds_the_same_values_as_the_json(base_url: str) -> None:
    params = {"q": "GRDP"}
    values = values_of(httpx.get(f"{base_url}/api/indicators", params=params, timeout=120).json())

    response = httpx.get(f"{base_url}/api/indicators.xlsx", params=params, timeout=120)

    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert 'filename="chi-tieu.xlsx"' in response.headers["content-disposition"]
    rows = xlsx_rows(response.content)
    assert rows[0] == header()
    names = ("group", "period", "value", "status", "title", "location", "quote")
    assert [[r[column(n)] for n in names] for r in rows[1:]] == [
        [v["group"], v["period"] or "", v["value_text"], v["status"], v["title"], v["location"], v["quote"]]
        for v in values
    ]


def test_a_filter_too_long_is_refused_with_the_limit(base_url: str) -> None:
    response = httpx.get(f"{base_url}/api/indicators", params={"q": "GRDP" * 60}, timeout=30)

    assert response.status_code == 422
    assert response.json()["detail"] == "Invalid request: q has 240 characters; the limit is 200: use a few words"


def test_only_get_is_allowed(base_url: str) -> None:
    response = httpx.post(f"{base_url}/api/indicators", json={}, timeout=30)

    assert response.status_code == 405
    assert "use GET" in response.json()["detail"]


def test_the_api_key_guards_both_endpoints(keyed_url: str) -> None:
    for path in ("/api/indicators", "/api/indicators.xlsx"):
        refused = httpx.get(f"{keyed_url}{path}", params={"q": "GRDP"}, timeout=30)
        wrong = httpx.get(f"{keyed_url}{path}", headers={"Authorization": "Bearer nope"}, timeout=30)
        allowed = httpx.get(
            f"{keyed_url}{path}", params={"q": "GRDP"}, headers={"Authorization": f"Bearer {KEY}"}, timeout=120
        )

        assert refused.status_code == 401 and "Missing API key" in refused.json()["detail"]
        assert wrong.status_code == 401 and "Wrong API key" in wrong.json()["detail"]
        assert allowed.status_code == 200


def test_the_endpoints_are_in_the_openapi_docs(base_url: str) -> None:
    schema = httpx.get(f"{base_url}/openapi.json", timeout=30).json()

    listing = schema["paths"]["/api/indicators"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"q", "period", "document"}
    assert listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/IndicatorList")
    assert XLSX in schema["paths"]["/api/indicators.xlsx"]["get"]["responses"]["200"]["content"]
    value = schema["components"]["schemas"]["IndicatorValue"]["properties"]
    assert {"value_text", "period", "status", "title", "number", "date", "location", "quote"} <= value.keys()
