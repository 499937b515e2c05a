"""First contact through ``/docs``: Swagger's "Try it out" starts from each JSON body's
documented example, so that example must answer, with passages, on the bundled corpus."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def example_body(document: dict[str, Any], operation: dict[str, Any]) -> Any:
    """The body Swagger UI pre-fills: the media type's example, else the schema's first."""
    media = operation["requestBody"]["content"]["application/json"]
    if "example" in media:
        return media["example"]
    if media.get("examples"):
        return next(iter(media["examples"].values()))["value"]
    schema = _resolve(document, media["schema"])
    if schema.get("examples"):
        return schema["examples"][0]
    return schema.get("example")


def json_posts(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {path: item["post"] for path, item in document["paths"].items()
            if "application/json" in item.get("post", {}).get("requestBody", {})
            .get("content", {})}


def test_search_and_ask_document_an_example_body(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    posts = json_posts(document)
    for path in ("/v1/search", "/v1/ask"):
        body = example_body(document, posts[path])
        assert isinstance(body, dict) and body["question"].startswith("Combien de visiteurs"), path
        assert "filters" not in body, path  # no document ids that another corpus lacks


def test_every_documented_example_body_answers_200(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    tried = []
    for path, operation in json_posts(document).items():
        body = example_body(document, operation)
        if body is None:
            continue
        response = client.post(path, json=body)
        assert response.status_code == 200, (path, body, response.text)
        if "passages" in response.json():
            assert response.json()["passages"], path
        tried.append(path)
    assert {"/v1/search", "/v1/ask"} <= set(tried)
