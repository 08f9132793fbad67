"""Channel-layer group names: the only place they are spelled."""


def board_group(board_id: int) -> str:
    """Return the group of every socket subscribed to a board."""
    return f"board-{board_id}"


def user_group(user_id: int) -> str:
    """Return the group of every socket a user has open (for suspension)."""
    return f"user-{user_id}"
