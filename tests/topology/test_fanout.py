"""A REST write through nginx reaches sockets on both Daphne processes behind it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Team
from tests.e2e.rest import RestClient
from tests.topology.clients import Followers, bearer, head_seq, wait_for
from tests.topology.conftest import Topology

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]

SOCKETS = 8


def test_a_rest_write_reaches_sockets_on_both_processes(
    team: Team, topology: Topology, tmp_path: Path
) -> None:
    followers = Followers(topology.url, bearer(team.member), team.board.pk, SOCKETS)
    followers.start()
    try:
        RestClient(topology.url, team.owner).create_card(team.todo.pk, "Across the proxy")
        head = head_seq(team.board.pk)
        wait_for(lambda: followers.all_at(head), 2, "the event on every socket")
    finally:
        followers.stop()
    for follower in followers.all:
        assert follower.seqs == list(range(1, head + 1))
    # nginx logs a socket when it closes, naming the process that served it.
    ids = [follower.connections[0].request_id for follower in followers.all]
    wait_for(lambda: set(ids) <= topology.access.by_request_id().keys(), 5, "the socket logs")
    served = [topology.access.by_request_id()[i].served_by for i in ids]
    per_process = sorted(served.count(address) for address in set(served))
    figures = {"clients": SOCKETS, "sockets_per_process": per_process, "events": head, "missed": 0}
    print(f"\nfan-out: {json.dumps(figures)}")
    (tmp_path / "fanout.json").write_text(json.dumps(figures, indent=2))
    assert per_process == [SOCKETS // 2, SOCKETS // 2]
