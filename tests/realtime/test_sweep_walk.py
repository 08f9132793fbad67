"""The catch-up sweep walks the sockets only when something can have been missed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from realtime import sweep


class _Follower:
    def __init__(self) -> None:
        self.walks = 0
        self.settled = True
        self.filled: list[tuple[int, int]] = []

    def subscribed_boards(self) -> list[int]:
        return [1]

    def lagging(self, heads: dict[int, int]) -> tuple[list[tuple[int, int]], bool]:
        self.walks += 1
        if 1 not in heads:
            return [], False
        return ([(1, heads[1])] if not self.settled else []), self.settled

    async def catch_up(self, board_id: int, head: int) -> None:
        self.filled.append((board_id, head))


async def test_a_walk_only_when_a_head_moved_or_someone_was_behind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    heads = {1: 5}

    def reading(function: Callable[..., Any]) -> Callable[..., Any]:
        async def read(boards: list[int]) -> dict[int, int]:
            return {board: heads[board] for board in boards if board in heads}

        return read

    monkeypatch.setattr(sweep, "db_read", reading)
    follower, local = _Follower(), sweep._Local()
    await sweep.sweep([follower], local)
    assert follower.walks == 1
    await sweep.sweep([follower], local)  # nothing moved, everybody was at the head
    assert follower.walks == 1
    heads[1] = 6  # an event: walk again
    follower.settled = False  # ... and this socket missed it
    await sweep.sweep([follower], local)
    await sweep.sweep([follower], local)  # still behind: walked every time
    assert (follower.walks, follower.filled) == (3, [(1, 6), (1, 6)])
    follower.settled = True
    await sweep.sweep([follower], local)
    await sweep.sweep([follower], local)
    assert follower.walks == 4
    del heads[1]  # the board is gone: never settled
    await sweep.sweep([follower], local)
    await sweep.sweep([follower], local)
    assert follower.walks == 6
