"""Background tasks (Django's task API; ``manage.py db_worker`` runs them)."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_webhooks(endpoint_id: int, board_id: int) -> None:
    """Send the next due delivery of one endpoint and board (collab/services/webhooks.py)."""
    from collab.services.webhooks import deliver_next

    deliver_next(endpoint_id=endpoint_id, board_id=board_id)


@task()
def send_digest(user_id: int) -> None:
    """Email a user their unread notifications not emailed yet (collab/services/digests.py)."""
    from collab.services.digests import digest_send

    digest_send(user_id=user_id)
