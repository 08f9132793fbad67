"""Workspaces and their members."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from api.schema import errors
from api.serializers import MemberAddInput, MemberUpdateInput, WorkspaceInput
from api.views.base import ApiViewSet, no_content, represented
from collab.representations import MemberSerializer, WorkspaceSerializer
from collab.selectors import member_list, workspace_get_for_user, workspace_list
from collab.services.workspaces import (
    member_add,
    member_remove,
    member_update,
    workspace_create,
    workspace_delete,
    workspace_update,
)


class WorkspaceViewSet(ApiViewSet):
    """The caller's workspaces; ``role`` is the caller's role in each."""

    @extend_schema(
        tags=["workspaces"], responses={200: WorkspaceSerializer(many=True), **errors(403, 404)}
    )
    def list(self, request: Request) -> Response:
        return self.page(workspace_list(user=request.user), WorkspaceSerializer)

    @extend_schema(
        tags=["workspaces"],
        request=WorkspaceInput,
        responses={201: WorkspaceSerializer, **errors(400, 403, 413)},
    )
    def create(self, request: Request) -> Response:
        data = self.parsed(WorkspaceInput)
        workspace = workspace_create(actor=request.user, name=data["name"])
        return represented(WorkspaceSerializer, workspace, status.HTTP_201_CREATED)

    @extend_schema(tags=["workspaces"], responses={200: WorkspaceSerializer, **errors(403, 404)})
    def retrieve(self, request: Request, pk: int) -> Response:
        workspace = workspace_get_for_user(user=request.user, workspace_id=pk)
        return represented(WorkspaceSerializer, workspace)

    @extend_schema(
        tags=["workspaces"],
        request=WorkspaceInput,
        responses={200: WorkspaceSerializer, **errors(400, 403, 404, 413)},
    )
    def partial_update(self, request: Request, pk: int) -> Response:
        data = self.parsed(WorkspaceInput)
        workspace = workspace_update(actor=request.user, workspace_id=pk, name=data["name"])
        return represented(WorkspaceSerializer, workspace)

    @extend_schema(tags=["workspaces"], responses={204: None, **errors(403, 404)})
    def destroy(self, request: Request, pk: int) -> Response:
        workspace_delete(actor=request.user, workspace_id=pk)
        return no_content()


class MemberViewSet(ApiViewSet):
    """Members of one workspace; admins manage them, anyone may leave."""

    @extend_schema(
        tags=["members"], responses={200: MemberSerializer(many=True), **errors(403, 404)}
    )
    def list(self, request: Request, workspace_id: int) -> Response:
        return self.page(
            member_list(user=request.user, workspace_id=workspace_id), MemberSerializer
        )

    @extend_schema(
        tags=["members"],
        request=MemberAddInput,
        responses={201: MemberSerializer, **errors(400, 403, 404, 409, 413)},
    )
    def create(self, request: Request, workspace_id: int) -> Response:
        data = self.parsed(MemberAddInput)
        membership = member_add(
            actor=request.user,
            workspace_id=workspace_id,
            username=data["username"],
            role=data["role"],
        )
        return represented(MemberSerializer, membership, status.HTTP_201_CREATED)

    @extend_schema(
        tags=["members"],
        request=MemberUpdateInput,
        responses={200: MemberSerializer, **errors(400, 403, 404, 409, 413)},
    )
    def partial_update(self, request: Request, workspace_id: int, user_id: int) -> Response:
        data = self.parsed(MemberUpdateInput)
        membership = member_update(
            actor=request.user, workspace_id=workspace_id, user_id=user_id, role=data["role"]
        )
        return represented(MemberSerializer, membership)

    @extend_schema(tags=["members"], responses={204: None, **errors(403, 404, 409)})
    def destroy(self, request: Request, workspace_id: int, user_id: int) -> Response:
        member_remove(actor=request.user, workspace_id=workspace_id, user_id=user_id)
        return no_content()
