"""schemathesis against the real app's OpenAPI schema: no 500, and every response documented.

Each operation of ``/api/v1/schema/`` gets a few generated requests (deterministic, no
shrinking), sent in-process through Django's WSGI handler with a token of a user who
owns a workspace with a board, so that about half the requests name objects that exist.
Every response must be a documented status with a body and content type that match.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from collab.services.labels import label_create
from tests.factories import (
    add_member,
    make_board,
    make_card,
    make_column,
    make_comment,
    make_token,
    make_user,
    make_workspace,
)

EXAMPLES_PER_OPERATION = 10
# Past this many seconds of the run, the remaining operations get one example each.
BUDGET_SECONDS = 75.0
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]  # type: ignore[union-attr]
# Operations with any input to get wrong (a body, a path or query parameter).
WITH_INPUT = [op for op in OPERATIONS if op.path_parameters or op.query or op.body]
_started: list[float] = []


@pytest.fixture
def in_process_requests() -> Iterator[None]:
    """Keep the WSGI handler from closing the test's connection after each request.

    Django's test client does the same: the test's data lives in a transaction on that
    connection, which the in-process requests must see.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def owned(db: None, in_process_requests: None) -> dict[str, Any]:
    """A workspace owner with one of everything, and their read/write token."""
    owner = make_user("schemaowner")
    member = make_user("schemamember")
    workspace = make_workspace(owner, "Schema Inc")
    add_member(workspace, owner, member)
    board = make_board(owner, workspace, "Schema board")
    column = make_column(owner, board, "Todo")
    make_column(owner, board, "Done")
    label = label_create(actor=owner, board_id=board.pk, name="bug")
    card = make_card(
        owner, column, "Card", description="**Hi**", assignees=[member.pk], labels=[label.pk]
    )
    comment = make_comment(member, card, "Words")
    token, plaintext = make_token(owner)
    ids = {
        "workspaces": workspace.pk,
        "boards": board.pk,
        "columns": column.pk,
        "cards": card.pk,
        "comments": comment.pk,
        "labels": label.pk,
        "tokens": token.pk,
        "workspace_id": workspace.pk,
        "user_id": member.pk,
    }
    return {"ids": ids, "authorization": f"Bearer {plaintext}"}


def _existing_path_parameters(operation: Any, ids: dict[str, int]) -> dict[str, int]:
    """Map the operation's path parameters to ids of saved objects."""
    resource = operation.path.removeprefix("/api/v1/").split("/")[0]
    values: dict[str, int] = {}
    for parameter in operation.path_parameters:
        name = parameter.name
        values[name] = ids[name] if name in ids else ids.get(resource, 1)
    return values


def _run(operation: Any, owned: dict[str, Any], mode: GenerationMode, checks: list[Any]) -> None:
    """Send generated requests for ``operation`` and check every response."""
    if not _started:
        _started.append(time.monotonic())
    over_budget = time.monotonic() - _started[0] > BUDGET_SECONDS
    headers = {"Authorization": owned["authorization"]}
    strategy = operation.as_strategy(mode, headers=headers)
    if operation.path_parameters:
        existing = operation.as_strategy(
            mode,
            headers=headers,
            path_parameters=_existing_path_parameters(operation, owned["ids"]),
        )
        strategy = st.one_of(existing, strategy)

    @settings(
        max_examples=1 if over_budget else EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=checks)

    check()


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_api_conforms_to_its_schema(operation: Any, owned: dict[str, Any]) -> None:
    """Valid requests: no 500, documented statuses, bodies and content types that match."""
    _run(operation, owned, GenerationMode.POSITIVE, CHECKS)


@pytest.mark.parametrize("operation", WITH_INPUT, ids=lambda op: op.label)
def test_api_refuses_invalid_input_without_server_errors(
    operation: Any, owned: dict[str, Any]
) -> None:
    """Requests that break the schema: a documented client error, never a 500."""
    _run(operation, owned, GenerationMode.NEGATIVE, [not_a_server_error, status_code_conformance])
