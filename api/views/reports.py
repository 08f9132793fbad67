"""Reports of cards and comments, queued for the moderators."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from api.schema import errors
from api.serializers import ReportCreateInput
from api.views.base import ApiView, represented
from collab.representations import ReportSerializer
from collab.services.reports import report_create


class ReportView(ApiView):
    @extend_schema(
        tags=["reports"],
        request=ReportCreateInput,
        responses={201: ReportSerializer, **errors(400, 403, 404, 413)},
        description="Report a card or comment you can see; moderators review the queue.",
    )
    def post(self, request: Request) -> Response:
        data = self.parsed(ReportCreateInput)
        report = report_create(
            actor=request.user,
            target_type=data["target_type"],
            target_id=data["target_id"],
            reason=data["reason"],
        )
        return represented(ReportSerializer, report, status.HTTP_201_CREATED)
