"""The JSON body parser: size-capped, and every malformed body a 400, never a 500."""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from api.errors import PayloadTooLarge


def _declared_length(parser_context: Mapping[str, Any]) -> int:
    request = parser_context.get("request")
    meta = getattr(request, "META", {})
    try:
        return int(meta.get("CONTENT_LENGTH") or 0)
    except (TypeError, ValueError):
        return 0


def _refuse_constant(name: str) -> Any:
    """Refuse ``NaN`` and ``Infinity``, which are not JSON."""
    raise ValueError(f"{name} is not valid JSON")


class JSONParser(parsers.JSONParser):
    """Parse a JSON body of at most ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes.

    DRF reads the request stream directly, which skips Django's own body-size check
    (it guards ``request.body`` only), so the cap is applied here. Deeply nested
    documents exhaust the decoder's recursion limit: that is the client's error too.
    """

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        parser_context = parser_context or {}
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and _declared_length(parser_context) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.decode(raw, encoding)
            return json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, LookupError, RecursionError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
