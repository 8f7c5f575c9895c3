"""Error responses: body size limit, short 422s, and 422 instead of 500 for values PostgreSQL cannot take."""

from __future__ import annotations

import json
import socket

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.factory import create_app
from tests.live import live_server

MIB = 1024 * 1024


def test_a_9_mib_body_is_refused_with_413(client: TestClient) -> None:
    response = client.post("/items", json={"name": "x" * (9 * MIB)})

    assert response.status_code == 413
    assert response.json() == {"detail": f"request body larger than {MIB} bytes"}


def test_the_body_limit_is_the_API_MAX_BODY_BYTES_setting(migrated: Settings) -> None:
    client = TestClient(create_app(migrated.model_copy(update={"api_max_body_bytes": 100})))
    small = {"name": "n", "description": "d" * 40}
    large = {"name": "n", "description": "d" * 120}

    assert client.post("/items", json=small).status_code == 201
    assert client.post("/items", json=large).status_code == 413


def test_a_chunked_body_is_cut_off_at_the_limit(migrated: Settings) -> None:
    """No Content-Length to go by: the body is counted as it arrives."""
    client = TestClient(create_app(migrated.model_copy(update={"api_max_body_bytes": 1000})))

    def chunks():
        yield b'{"name": "n", "description": "'
        for _ in range(20):
            yield b"d" * 100
        yield b'"}'

    response = client.post("/items", content=chunks(), headers={"content-type": "application/json"})

    assert response.status_code == 413


def test_413_answers_a_large_content_length_before_the_body_is_sent(migrated: Settings) -> None:
    """On the real server: announce 9 MiB, send 64 KiB, and the 413 is already there."""
    with live_server(migrated) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(
                b"POST /items HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {9 * MIB}\r\n\r\n".encode()
                + b'{"name": "'
                + b"x" * (64 * 1024)
            )
            head = sock.recv(4096)
        server.stop()

    assert head.startswith(b"HTTP/1.1 413 "), head


def test_a_2_kib_invalid_name_gets_a_422_under_1_kib(client: TestClient) -> None:
    response = client.post("/items", json={"name": "x" * 2048})

    assert response.status_code == 422
    assert len(response.content) < 1024, response.content
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "name"] and error["type"] == "string_too_long"
    assert error["input"] == "x" * 100 + "…"


def test_a_long_unknown_field_name_is_shortened_in_the_422(client: TestClient) -> None:
    response = client.post("/items", json={"name": "n", "k" * 5000: 1})

    assert response.status_code == 422
    assert len(response.content) < 1024, response.content
    assert response.json()["detail"][0]["loc"] == ["body", "k" * 100 + "…"]


def test_a_long_non_string_input_is_shortened_to_json_text(client: TestClient) -> None:
    response = client.post("/items", json=[{"name": "n" * 500}])  # a list where an object belongs

    assert response.status_code == 422
    assert response.json()["detail"][0]["input"] == json.dumps([{"name": "n" * 500}])[:100] + "…"


def test_a_422_lists_at_most_ten_errors(client: TestClient) -> None:
    response = client.post("/items", json={"name": "n"} | {f"extra{i}": i for i in range(500)})

    assert response.status_code == 422
    assert len(response.json()["detail"]) == 10


def test_short_inputs_are_echoed_as_they_are(client: TestClient) -> None:
    response = client.post("/items", json={"name": ""})

    assert response.json()["detail"][0]["input"] == ""


@pytest.mark.parametrize("field", ["name", "description"])
def test_a_nul_character_is_a_422_naming_it_not_a_500(client: TestClient, field: str) -> None:
    body = {"name": "ok", "description": None} | {field: "a\x00b"}

    response = client.post("/items", json=body)

    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", field] and "NUL" in error["msg"]


def test_a_lone_surrogate_is_a_422_not_a_500(client: TestClient) -> None:
    response = client.post("/items", content=b'{"name": "\\ud800"}', headers={"content-type": "application/json"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["input"] == "\\ud800"  # echoed as an escape: it cannot be UTF-8


def test_a_body_that_is_not_utf_8_is_a_400(client: TestClient) -> None:
    response = client.post("/items", content=b'{"name": "\xff"}', headers={"content-type": "application/json"})

    assert (response.status_code, response.json()) == (400, {"detail": "There was an error parsing the body"})


def test_an_offset_beyond_bigint_is_a_422_not_a_500(client: TestClient) -> None:
    response = client.get("/items", params={"offset": 2**63})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "offset"]


def test_the_largest_bigint_offset_is_an_empty_page(client: TestClient) -> None:
    client.post("/items", json={"name": "only"})

    response = client.get("/items", params={"offset": 2**63 - 1})

    assert (response.status_code, response.json()) == (200, [])


@pytest.mark.parametrize(("path", "allowed"), [("/items", "GET, HEAD, POST"), ("/items/1", "DELETE, GET, HEAD")])
def test_405_lists_every_method_served_at_the_path(client: TestClient, path: str, allowed: str) -> None:
    response = client.request("OPTIONS", path)

    assert (response.status_code, response.headers["allow"]) == (405, allowed)


def test_405_under_the_proxy_prefix_lists_the_same_methods(migrated: Settings) -> None:
    client = TestClient(create_app(migrated.model_copy(update={"api_root_path": "/api"})))

    assert client.request("OPTIONS", "/items").headers["allow"] == "GET, HEAD, POST"
