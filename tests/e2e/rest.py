"""A third party's REST client: a personal token in ``Authorization: Bearer``, plain requests."""

from __future__ import annotations

from typing import Any

import requests

from tests.e2e.database import in_thread
from tests.factories import make_token


class RestClient:
    """Call the public API of one server as ``user``, like a script or a CI job would."""

    def __init__(self, base_url: str, user: Any) -> None:
        _, plaintext = in_thread(make_token, user, name="e2e script")
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {plaintext}"

    def _call(self, method: str, path: str, expected: int, **json: Any) -> dict[str, Any]:
        url = f"{self.base_url}/api/v1/{path}"
        response = self.session.request(method, url, json=json, timeout=10)
        assert response.status_code == expected, f"{method} {url}: {response.text}"
        return dict(response.json())

    def create_card(self, column: int, title: str) -> dict[str, Any]:
        return self._call("POST", "cards/", 201, column=column, title=title)

    def rename_card(self, card: int, title: str) -> dict[str, Any]:
        return self._call("PATCH", f"cards/{card}/", 200, title=title)

    def move_card(self, card: int, column: int) -> dict[str, Any]:
        return self._call("POST", f"cards/{card}/move/", 200, column=column)

    def get_card(self, card: int) -> dict[str, Any]:
        return self._call("GET", f"cards/{card}/", 200)

    def set_description(self, card: int, description: str) -> dict[str, Any]:
        return self._call("PATCH", f"cards/{card}/", 200, description=description)

    def archive_card(self, card: int) -> dict[str, Any]:
        return self._call("PATCH", f"cards/{card}/", 200, archived=True)
