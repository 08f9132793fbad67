"""The event stream's WSGI twin: the replay as server-sent events, then the end.

Under Daphne the route never reaches Django: ``realtime.stream`` serves it live. This
view answers it where only WSGI runs (the test client, a gunicorn split that sends the
stream here by mistake), and documents it in the OpenAPI schema.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from api.schema import errors
from api.views.base import ApiView
from collab import streams
from collab.replay import replay_since

_DESCRIPTION = """The board's events as server-sent events (`text/event-stream`), for
`curl -N` and integrations that cannot speak websockets. Served live by the ASGI server
(Daphne): the response starts with `retry: 3000`, then one block per event:

    id: <seq>
    event: <event name, e.g. card.moved>
    data: <the event as GET boards/{id}/events/ returns it, one line of JSON>

and a `: ping` comment every `SSE_HEARTBEAT_SECONDS`. `Last-Event-ID` (or `since`; the
header wins) resumes after that seq with the socket's replay guarantee: every later
event once, in order, then the live ones. When those events are no longer retained the
stream sends `id: <head>`, `event: resync`, `data: {"board": ID, "head": SEQ}`: reload
the snapshot; the stream goes on from `head`. The server ends the stream with an
`event: error` block (`{"error": CODE, "message": TEXT}`, CODE `suspended`,
`credential_ended` or `forbidden`) when the account is suspended, the session or token
ends or the caller leaves the workspace. A WSGI server answers the replay only and ends.
"""


# One message of the stream, as an SSE parser sees it.
_EVENT = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "description": "The event's seq (resync: the head)."},
        "event": {"type": "string", "description": "The event name, resync or error."},
        "data": {"type": "string", "description": "One line of JSON."},
        "retry": {"type": "integer", "description": "Reconnect delay, ms."},
    },
}


@extend_schema(
    tags=["boards"],
    parameters=[
        OpenApiParameter(
            "since", OpenApiTypes.INT, required=False, description="Resume after this seq."
        ),
        OpenApiParameter(
            "Last-Event-ID",
            OpenApiTypes.STR,
            OpenApiParameter.HEADER,
            required=False,
            description="The last `id` received (a seq); wins over `since`.",
        ),
    ],
    responses={
        (200, "text/event-stream"): OpenApiResponse(
            response=_EVENT, description="The event stream, one message per event."
        ),
        **errors(400, 403, 404),
    },
    description=_DESCRIPTION,
)
class BoardStreamView(ApiView):
    """Answer ``GET boards/{id}/stream/`` with the replay since Last-Event-ID or since."""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # An EventSource asks for text/event-stream; refusals are JSON all the same.
        renderer = JSONRenderer()
        return renderer, renderer.media_type

    def get(self, request: Request, pk: int) -> HttpResponse:
        since = streams.parse_since(
            request.headers.get("Last-Event-ID"), request.query_params.get("since")
        )
        replay = replay_since(request.user, pk, since)
        body = [streams.RETRY]
        if replay.resync:
            body.append(streams.resync_block(pk, replay.seq))
        body += [streams.event_block(frame) or b"" for frame in replay.frames]
        response = HttpResponse(b"".join(body), content_type=streams.HEADERS["Content-Type"])
        for name, value in streams.HEADERS.items():
            response[name] = value
        return response
