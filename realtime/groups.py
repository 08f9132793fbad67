"""Channel-layer group names: the only place they are spelled."""


def board_group(board_id: int) -> str:
    """Return the group of every socket subscribed to a board."""
    return f"board-{board_id}"


def user_group(user_id: int) -> str:
    """Return the group of every socket a user has open (for suspension)."""
    return f"user-{user_id}"


def session_group(session_digest: str) -> str:
    """Return the group of every socket opened through one browser session (for log-out).

    Takes the session key's digest (``realtime.publish.session_digest``), never the key:
    group names travel through Redis and may be logged.
    """
    return f"session-{session_digest[:40]}"


def token_group(token_id: int) -> str:
    """Return the group of every socket opened with one token's tickets (for revocation)."""
    return f"token-{token_id}"


def doc_group(card_id: int) -> str:
    """Return the group of every process holding a card's document open (its rooms)."""
    return f"doc-{card_id}"
