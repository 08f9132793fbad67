"""Moderated and deleted content leaves the board history; every card change is versioned.

Regression tests for issue 7, defects 1 (hidden and deleted comments stayed readable in
the events API and socket replay) and 11 (deleting a label changed cards without a new
version or a card event).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from collab.event_types import CARD_UPDATED, LABEL_DELETED
from collab.models import Card, Event
from collab.selectors import board_snapshot
from collab.services.comments import comment_delete, comment_set_hidden, comment_update
from collab.services.labels import label_create, label_delete
from realtime.replay import events_between, replay_since
from tests.conftest import Team, client_for
from tests.factories import make_card, make_comment
from tests.realtime.sockets import close, open_socket, receive_events

SECRET = "my home address is 12 Secret Lane"


def _history_texts(team: Team, user: Any) -> dict[str, str]:
    """Return every history read path's output for ``user``, as text."""
    board = team.board.pk
    api = client_for(user)
    events = api.get(f"/api/v1/boards/{board}/events/?after=0&limit=500")
    assert events.status_code == 200
    snapshot = api.get(f"/api/v1/boards/{board}/snapshot/")
    assert snapshot.status_code == 200
    head = Event.objects.filter(board_id=board).order_by("-seq").values_list("seq", flat=True)[0]
    replay = replay_since(user, board, 0)
    assert not replay.resync
    return {
        "events API": events.content.decode(),
        "snapshot API": snapshot.content.decode(),
        "snapshot selector": json.dumps(board_snapshot(user=user, board_id=board), default=str),
        "replay": "\n".join(replay.frames),
        "gap fill": "\n".join(events_between(board, 0, head + 1)),
    }


def _secret_comment(team: Team) -> Any:
    card = make_card(team.member, team.todo, "Card")
    comment = make_comment(team.member, card, f"first draft: {SECRET}")
    comment_update(actor=team.member, comment_id=comment.pk, body=f"edited: {SECRET}")
    return comment


@pytest.mark.parametrize("reader", ["viewer", "member", "admin", "owner"])
def test_a_hidden_comment_is_not_served_from_history(team: Team, reader: str) -> None:
    comment = _secret_comment(team)
    assert any(SECRET in text for text in _history_texts(team, team.viewer).values())
    comment_set_hidden(actor=team.admin, comment_id=comment.pk, hidden=True)
    for path, text in _history_texts(team, team.user(reader)).items():
        assert SECRET not in text, f"{path} still serves the hidden comment's body"


def test_a_deleted_comment_is_not_served_from_history(team: Team) -> None:
    comment = _secret_comment(team)
    comment_delete(actor=team.member, comment_id=comment.pk)
    for path, text in _history_texts(team, team.viewer).items():
        assert SECRET not in text, f"{path} still serves the deleted comment's body"


def test_redacted_history_still_folds_to_the_comment_shown_after_unhide(team: Team) -> None:
    comment = _secret_comment(team)
    comment_set_hidden(actor=team.admin, comment_id=comment.pk, hidden=True)
    comment_set_hidden(actor=team.admin, comment_id=comment.pk, hidden=False)
    rows = Event.objects.filter(
        board=team.board, event__startswith="comment.", data__id=comment.pk
    ).order_by("seq")
    shapes = [(row.event, row.data["body"], row.data["hidden"]) for row in rows]
    assert shapes == [
        ("comment.created", "", True),
        ("comment.updated", "", True),
        ("comment.hidden", "", True),
        # Unhiding shows the comment again: its newest event carries the body.
        ("comment.updated", f"edited: {SECRET}", False),
    ]


def test_redaction_touches_no_other_comment(team: Team) -> None:
    comment = _secret_comment(team)
    other = make_comment(team.admin, Card.objects.get(pk=comment.card_id), "unrelated words")
    comment_set_hidden(actor=team.admin, comment_id=comment.pk, hidden=True)
    created = Event.objects.get(board=team.board, event="comment.created", data__id=other.pk)
    assert created.data["body"] == "unrelated words"


@pytest.mark.django_db(transaction=True)
async def test_socket_replay_after_hiding_serves_no_body(team: Team) -> None:
    from channels.db import database_sync_to_async

    comment = await database_sync_to_async(_secret_comment)(team)
    await database_sync_to_async(comment_set_hidden)(
        actor=team.admin, comment_id=comment.pk, hidden=True
    )
    socket = await open_socket(team.viewer, subscribe=team.board.pk, since=0)
    seq = await database_sync_to_async(lambda: type(team.board).objects.get(pk=team.board.pk).seq)()
    frames = await receive_events(socket, seq)
    await close(socket)
    assert all(SECRET not in json.dumps(frame) for frame in frames)
    assert [f["seq"] for f in frames] == list(range(1, seq + 1))


def test_deleting_a_label_bumps_and_announces_every_card_that_had_it(
    team: Team, published: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    bug = label_create(actor=team.admin, board_id=team.board.pk, name="Bug")
    keep = label_create(actor=team.admin, board_id=team.board.pk, name="Keep")
    tagged = make_card(team.member, team.todo, "tagged", labels=[bug.pk, keep.pk])
    untouched = make_card(team.member, team.todo, "untouched", labels=[keep.pk])
    api = client_for(team.member)
    etag = api.get(f"/api/v1/cards/{tagged.pk}/")["ETag"]
    published.clear()

    with django_capture_on_commit_callbacks(execute=True):
        label_delete(actor=team.admin, label_id=bug.pk)

    response = api.get(f"/api/v1/cards/{tagged.pk}/")
    assert response.json()["labels"] == [keep.pk]
    assert response["ETag"] != etag
    assert response.json()["version"] == tagged.version + 1
    assert Card.objects.get(pk=untouched.pk).version == untouched.version
    assert [p.frame["event"] for p in published] == [CARD_UPDATED.name, LABEL_DELETED.name]
    card_event = Event.objects.get(board=team.board, seq=published[0].seq)
    assert card_event.data == response.json()
