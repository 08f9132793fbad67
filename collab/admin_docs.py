"""The admin's pages of collaborative descriptions: each card's document, and a reset.

Read-only (the documents change through their sockets and the card service), with
one action: **Reset collaborative history**, for a document whose history went wrong or
after restoring one from a backup. It keeps the current text and starts a new
generation: every open editor drops its copy and loads the new one.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from collab.admin_actions import ReadOnlyAdmin
from collab.exceptions import CorkboardError
from collab.models import CardDoc, CardDocUpdate
from collab.services.cards import card_reset_description


@admin.register(CardDoc)
class CardDocAdmin(ReadOnlyAdmin):
    list_display = ("card", "generation", "head_seq", "through_seq", "stored_bytes", "compacted_at")
    list_select_related = ("card",)
    search_fields = ("card__title", "generation")
    raw_id_fields = ("card",)
    fields = ("card", "generation", "head_seq", "through_seq", "stored_bytes", "compacted_at")
    readonly_fields = fields
    actions = ["reset"]

    @admin.display(description="snapshot bytes")
    def stored_bytes(self, obj: CardDoc) -> int:
        return len(obj.snapshot)

    @admin.action(description="Reset collaborative history (keeps the text; editors reload)")
    def reset(self, request: HttpRequest, queryset: QuerySet[CardDoc]) -> None:
        for doc in queryset:
            try:
                card_reset_description(actor=request.user, card_id=doc.card_id)
            except CorkboardError as error:
                self.message_user(request, f"Card {doc.card_id}: {error.message}", messages.ERROR)
            else:
                self.message_user(request, f"Card {doc.card_id}: reset.", messages.SUCCESS)


@admin.register(CardDocUpdate)
class CardDocUpdateAdmin(ReadOnlyAdmin):
    list_display = ("doc", "seq", "author", "size", "created_at")
    list_select_related = ("author",)
    raw_id_fields = ("doc", "author")
    fields = ("doc", "seq", "author", "size", "created_at")
    readonly_fields = fields

    @admin.display(description="bytes")
    def size(self, obj: CardDocUpdate) -> int:
        return len(obj.data)
