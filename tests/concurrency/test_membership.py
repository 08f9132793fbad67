"""Membership invariants under concurrency: a workspace keeps an owner; one membership per user.

Regression tests for issue 7, defects 2 (two owners leaving at once both succeeded)
and 4 (adding the same member twice at once answered 500).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest

from collab.exceptions import Conflict, Forbidden, NotFound
from collab.models import Membership, Role, Workspace
from collab.services.workspaces import member_remove, member_update
from tests.concurrency.conftest import describe, run_together
from tests.conftest import client_for
from tests.factories import add_member, make_board, make_user, make_workspace

pytestmark = pytest.mark.django_db(transaction=True)

REPEAT = 10
API = "/api/v1"
_names = itertools.count()


@dataclass
class Owners:
    first: Any
    second: Any
    workspace: Workspace


def _two_owners() -> Owners:
    n = next(_names)
    first, second = make_user(f"first{n}"), make_user(f"second{n}")
    workspace = make_workspace(first, f"Two owners {n}")
    add_member(workspace, first, second, Role.OWNER)
    make_board(first, workspace, "One")
    make_board(first, workspace, "Two")
    return Owners(first, second, workspace)


def _leave(actor: Any, w: Owners) -> Callable[[], object]:
    return lambda: member_remove(actor=actor, workspace_id=w.workspace.pk, user_id=actor.pk)


def _demote(actor: Any, target: Any, w: Owners) -> Callable[[], object]:
    return lambda: member_update(
        actor=actor, workspace_id=w.workspace.pk, user_id=target.pk, role=Role.ADMIN
    )


def _remove(actor: Any, target: Any, w: Owners) -> Callable[[], object]:
    return lambda: member_remove(actor=actor, workspace_id=w.workspace.pk, user_id=target.pk)


# Each pair takes the owner role from one of two owners at once; the refusal the loser
# gets depends on who went first, but it is always a clean domain error.
Calls = Callable[[Owners], list[Callable[[], object]]]
INTERLEAVINGS: dict[str, tuple[Calls, tuple[type, ...]]] = {
    "leave/leave": (lambda w: [_leave(w.first, w), _leave(w.second, w)], (Conflict,)),
    "leave/demote-self": (
        lambda w: [_leave(w.first, w), _demote(w.second, w.second, w)],
        (Conflict,),
    ),
    "demote-self/demote-self": (
        lambda w: [_demote(w.first, w.first, w), _demote(w.second, w.second, w)],
        (Conflict,),
    ),
    "demote/demote": (
        lambda w: [_demote(w.first, w.second, w), _demote(w.second, w.first, w)],
        (Forbidden,),
    ),
    "remove/demote": (
        lambda w: [_remove(w.first, w.second, w), _demote(w.second, w.first, w)],
        (NotFound, Forbidden),
    ),
    "remove/remove": (
        lambda w: [_remove(w.first, w.second, w), _remove(w.second, w.first, w)],
        (NotFound,),
    ),
    "leave/remove": (
        lambda w: [_leave(w.first, w), _remove(w.second, w.first, w)],
        (NotFound,),
    ),
}


@pytest.mark.parametrize("interleaving", INTERLEAVINGS)
def test_a_workspace_always_keeps_an_owner(interleaving: str) -> None:
    """Defect 2: of two owners giving up ownership at once, exactly one succeeds.

    The other is refused (409 when it would leave no owner), and one owner remains.
    """
    calls, refusals = INTERLEAVINGS[interleaving]
    for _ in range(REPEAT):
        w = _two_owners()
        outcomes = run_together(*calls(w))
        assert sorted(o.ok for o in outcomes) == [False, True], describe(outcomes)
        (refused,) = [o for o in outcomes if not o.ok]
        assert isinstance(refused.error, refusals), describe(outcomes)
        if isinstance(refused.error, Conflict):
            assert refused.error.status == 409
        owners = Membership.objects.filter(workspace=w.workspace, role=Role.OWNER)
        assert owners.count() == 1


def test_adding_the_same_member_at_once_gives_one_201_and_clean_409s() -> None:
    """Defect 4: concurrent adds of one user answered IntegrityError 500s."""
    for n in range(REPEAT):
        owner, newcomer = make_user(f"owner{n}"), make_user(f"newcomer{n}")
        workspace = make_workspace(owner, f"Adds {n}")
        make_board(owner, workspace, "Board")
        clients = [client_for(owner) for _ in range(3)]
        url = f"{API}/workspaces/{workspace.pk}/members/"
        body = {"username": newcomer.username, "role": "member"}
        outcomes = run_together(*(partial(c.post, url, body, format="json") for c in clients))
        assert all(o.ok for o in outcomes), describe(outcomes)
        responses: list[Any] = [o.value for o in outcomes]
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201, 409, 409], [r.content for r in responses]
        for response in responses:
            if response.status_code == 409:
                assert response.json()["error"] == "conflict"
        assert Membership.objects.filter(workspace=workspace, user=newcomer).count() == 1
