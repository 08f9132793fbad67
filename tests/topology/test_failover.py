"""SIGKILL one Daphne behind nginx: its sockets move to the other process and miss nothing.

Writes go on through the outage; every follower ends with every seq exactly once. The
restarted process takes writes again within nginx's fail_timeout.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.conftest import Team
from tests.topology.clients import (
    Follower,
    Followers,
    Writer,
    assert_every_seq_once,
    bearer,
    finish,
    wait_for,
)
from tests.topology.conftest import Topology

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]

FOLLOWERS = 8


def test_sigkill_moves_sockets_to_the_other_process_and_loses_nothing(
    team: Team, topology: Topology, tmp_path: Path
) -> None:
    victim, survivor = topology.webs
    followers = Followers(topology.url, bearer(team.member), team.board.pk, FOLLOWERS)
    writer = Writer(topology.url, bearer(team.owner), [team.todo.pk, team.done.pk])

    def moved() -> list[Follower]:
        return [follower for follower in followers.all if len(follower.connections) > 1]

    def writes_served_by_victim() -> bool:
        address = f"127.0.0.1:{victim.port}"
        entries = topology.access.entries()[mark:]
        return any(e.path == "/api/v1/cards/" and e.served_by == address for e in entries)

    followers.start()
    writer.start()
    try:
        writer.wait_writes(5)
        victim.kill()
        killed_at = time.monotonic()
        wait_for(lambda: len(moved()) == FOLLOWERS // 2 and followers.all_live(), 10, "reconnects")
        recovered = max(f.connections[1].caught_up_at or 0 for f in moved()) - killed_at
        writer.wait_writes(5)  # the outage: the survivor serves everything

        mark = len(topology.access.entries())
        victim.start()
        back = wait_for(writes_served_by_victim, 10, "a write served by the restarted process")
        writer.wait_writes(5)
    finally:
        head = finish(writer, followers, team.board.pk)
    assert_every_seq_once(followers, head)
    log = topology.access.by_request_id()
    for follower in moved():
        first, second = follower.connections[:2]
        assert first.close_code == 1006
        assert topology.web(log[first.request_id].served_by) is victim
        assert topology.web(log[second.request_id].served_by) is survivor
    # A write in flight when the process died has no answer (nginx: 502); no other fails.
    assert len(writer.failures) <= 1, writer.failures
    figures = {
        "clients": FOLLOWERS,
        "clients_moved": len(moved()),
        "events": head,
        "writes_answered": len(writer.created),
        "writes_unanswered": len(writer.failures),
        "missed": 0,
        "duplicates": 0,
        "seconds_to_recover": round(recovered, 3),
        "seconds_until_restarted_takes_writes": round(back, 3),
    }
    print(f"\nSIGKILL failover: {json.dumps(figures)}")
    (tmp_path / "failover.json").write_text(json.dumps(figures, indent=2))
