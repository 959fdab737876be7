"""The page and the docs are the service's own files: served by the app, asking nothing of the network."""

import re

import pytest


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
