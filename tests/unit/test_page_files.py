"""The page and the docs are the service's own files: served by the app, asking nothing of the network."""

import base64
import hashlib
import re

import pytest

from keras_shape_service.http.routes import PAGE_FOLDER
from keras_shape_service.http.worker import problem_bytes
from keras_shape_service.schemas.examples import SEED_SUMMARY


@pytest.mark.parametrize(
    "path, media",
    [
        ("/", "text/html"),
        ("/docs", "text/html"),
        ("/page/page.js", "text/javascript"),
        ("/page/page.css", "text/css"),
        ("/docs/assets/swagger-ui-bundle.js", "text/javascript"),
        ("/docs/assets/swagger-ui.css", "text/css"),
    ],
)
def test_the_page_and_the_docs_are_served(client, path, media):
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == media
    response.close()


@pytest.mark.parametrize("path", ["/", "/docs"])
def test_every_file_a_page_names_is_the_services_own(client, path):
    with client.get(path) as response:
        html = response.get_data(as_text=True)
    names = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert names and all(name.startswith("/") and not name.startswith("//") for name in names)
    for name in names:
        response = client.get(name)
        assert response.status_code == 200, name
        response.close()


def test_a_missing_file_is_a_problem(client):
    response = client.get("/page/missing.js")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


STATIC_AND_PAGES = ["/", "/docs", "/page/page.js", "/page/missing.js", "/docs/assets/swagger-ui.css"]


@pytest.mark.parametrize("path", STATIC_AND_PAGES)
def test_options_on_the_page_and_its_files_is_a_405_problem_as_on_every_route(client, path):
    """Regression: Flask's static routes answered OPTIONS with an empty text/html 200."""
    response = client.open(path, method="OPTIONS")
    assert response.status_code == 405 and response.mimetype == "application/problem+json"
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD"}  # werkzeug lists a set, in any order
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_json()["title"] == "Method Not Allowed"


def _directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


@pytest.mark.parametrize("path", ["/", "/docs"])
def test_the_pages_allow_scripts_and_styles_from_the_service_only_and_no_framing(client, path):
    with client.get(path) as response:
        policy = _directives(response.headers["Content-Security-Policy"])
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert policy["default-src"] == ["'none'"] and policy["script-src"] == ["'self'"]
    assert policy["style-src"][0] == "'self'" and all(v.startswith("'sha256-") for v in policy["style-src"][1:])
    assert policy["frame-ancestors"] == ["'none'"] and policy["connect-src"] == ["'self'"]
    assert not any("unsafe" in value for values in policy.values() for value in values)


def test_the_one_inline_style_allowed_is_the_diagrams_the_page_shows(client):
    """The page puts the diagram's SVG, its <style> included, into its document: that style is allowed by its
    hash, and it is the only inline style or script the pages hold."""
    svg = client.post("/v1/diagram", json=SEED_SUMMARY).get_data(as_text=True)
    (style,) = re.findall(r"<style>(.*?)</style>", svg, re.S)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    with client.get("/") as response:
        assert _directives(response.headers["Content-Security-Policy"])["style-src"] == ["'self'", f"'sha256-{digest}'"]


@pytest.mark.parametrize("name", ["index.html", "docs.html"])
def test_the_pages_hold_no_inline_script_or_style_the_policy_would_block(name):
    html = (PAGE_FOLDER / name).read_text()
    assert not re.search(r"\sstyle=|<style|\son\w+=", html)
    assert all(re.search(r'\ssrc="/', tag) for tag in re.findall(r"<script[^>]*>", html))


@pytest.mark.parametrize(
    "method, path, body, status",
    [
        ("POST", "/v1/summary", SEED_SUMMARY, 200),
        ("POST", "/v1/summary", {"model": {"layers": [{"type": "Dense", "units": 0}]}}, 422),
        ("POST", "/v1/diagram", SEED_SUMMARY, 200),
        ("GET", "/healthz", None, 200),
        ("GET", "/openapi.json", None, 200),
        ("GET", "/page/page.js", None, 200),
        ("GET", "/nowhere", None, 404),
    ],
)
def test_every_answer_says_its_media_type_is_not_to_be_sniffed(client, method, path, body, status):
    with client.open(path, method=method, json=body) as response:
        assert response.status_code == status
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "Content-Security-Policy" not in response.headers  # a page's policy; an answer is no page


def test_an_error_gunicorn_answers_before_the_app_says_nosniff_too():
    head = problem_bytes(ValueError("bad")).split(b"\r\n\r\n")[0].decode("latin-1")
    assert "\r\nX-Content-Type-Options: nosniff\r\n" in head
