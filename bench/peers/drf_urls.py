"""The plain DRF peer's one route: ``GET /cards/?board=<id>``, 50 cards a page.

The model reads the product's ``collab_card`` table (unmanaged), ordered as the product
orders its list, so both pages return the same 50 rows.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.urls import path
from rest_framework import generics, serializers


class Card(models.Model):
    board_id = models.BigIntegerField()
    column_id = models.BigIntegerField()
    title = models.CharField(max_length=500)
    description = models.TextField()
    position = models.CharField(max_length=255)
    due_at = models.DateTimeField(null=True)
    archived = models.BooleanField()
    version = models.PositiveIntegerField()
    created_by_id = models.BigIntegerField(null=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    objects: models.Manager[Card] = models.Manager()

    class Meta:
        app_label = "peers"
        managed = False
        db_table = "collab_card"

    def __str__(self) -> str:
        return self.title


class CardSerializer(serializers.ModelSerializer[Card]):
    class Meta:
        model = Card
        fields = [
            "id",
            "board_id",
            "column_id",
            "title",
            "description",
            "position",
            "due_at",
            "archived",
            "version",
            "created_by_id",
            "created_at",
            "updated_at",
        ]


class CardList(generics.ListAPIView[Card]):
    serializer_class = CardSerializer

    def get_queryset(self) -> QuerySet[Card]:
        board: Any = self.request.query_params.get("board", "0")
        return Card.objects.filter(board_id=int(board), archived=False).order_by(
            "column_id", "position"
        )


urlpatterns = [path("cards/", CardList.as_view())]
