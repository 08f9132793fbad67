"""Routes of the public REST API, v1 (mounted at /api/v1/)."""

from typing import Any

from django.urls import URLPattern, URLResolver, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api.views.auth import CsrfView, LoginView, LogoutView, MeView, SignupView, WsTicketView
from api.views.boards import BoardViewSet
from api.views.cards import CardViewSet
from api.views.columns import ColumnViewSet
from api.views.comments import CommentViewSet
from api.views.fallback import NoRouteView
from api.views.labels import LabelViewSet
from api.views.notifications import BoardWatchViewSet, CardWatchViewSet, NotificationViewSet
from api.views.reports import ReportView
from api.views.stream import BoardStreamView
from api.views.tokens import TokenViewSet
from api.views.webhooks import DeliveryViewSet, WebhookViewSet
from api.views.workspaces import MemberViewSet, WorkspaceViewSet

COLLECTION: dict[str, Any] = {"get": "list", "post": "create"}
WATCH: dict[str, Any] = {"post": "watch", "delete": "unwatch"}
ITEM: dict[str, Any] = {"get": "retrieve", "patch": "partial_update", "delete": "destroy"}

urlpatterns: list[URLPattern | URLResolver] = [
    path("auth/csrf/", CsrfView.as_view(), name="auth-csrf"),
    path("auth/signup/", SignupView.as_view(), name="auth-signup"),
    path("auth/login/", LoginView.as_view(), name="auth-login"),
    path("auth/logout/", LogoutView.as_view(), name="auth-logout"),
    path("auth/ws-ticket/", WsTicketView.as_view(), name="auth-ws-ticket"),
    path("me/", MeView.as_view(), name="me"),
    path("tokens/", TokenViewSet.as_view(COLLECTION), name="token-list"),
    path("tokens/<int:pk>/", TokenViewSet.as_view({"delete": "destroy"}), name="token-detail"),
    path("workspaces/", WorkspaceViewSet.as_view(COLLECTION), name="workspace-list"),
    path("workspaces/<int:pk>/", WorkspaceViewSet.as_view(ITEM), name="workspace-detail"),
    path(
        "workspaces/<int:workspace_id>/members/",
        MemberViewSet.as_view(COLLECTION),
        name="member-list",
    ),
    path(
        "workspaces/<int:workspace_id>/members/<int:user_id>/",
        MemberViewSet.as_view({"patch": "partial_update", "delete": "destroy"}),
        name="member-detail",
    ),
    path(
        "workspaces/<int:workspace_id>/webhooks/",
        WebhookViewSet.as_view(COLLECTION),
        name="webhook-list",
    ),
    path(
        "workspaces/<int:workspace_id>/webhooks/<int:pk>/",
        WebhookViewSet.as_view(ITEM),
        name="webhook-detail",
    ),
    path(
        "workspaces/<int:workspace_id>/webhooks/<int:pk>/rotate-secret/",
        WebhookViewSet.as_view({"post": "rotate_secret"}),
        name="webhook-rotate-secret",
    ),
    path(
        "workspaces/<int:workspace_id>/webhooks/<int:pk>/redeliver/",
        WebhookViewSet.as_view({"post": "redeliver"}),
        name="webhook-redeliver",
    ),
    path(
        "workspaces/<int:workspace_id>/webhooks/<int:webhook_id>/deliveries/",
        DeliveryViewSet.as_view({"get": "list"}),
        name="webhook-delivery-list",
    ),
    path(
        "workspaces/<int:workspace_id>/webhooks/<int:webhook_id>/deliveries/<int:pk>/redeliver/",
        DeliveryViewSet.as_view({"post": "redeliver"}),
        name="webhook-delivery-redeliver",
    ),
    path("boards/", BoardViewSet.as_view(COLLECTION), name="board-list"),
    path("boards/<int:pk>/", BoardViewSet.as_view(ITEM), name="board-detail"),
    path("boards/<int:pk>/lock/", BoardViewSet.as_view({"post": "lock"}), name="board-lock"),
    path("boards/<int:pk>/unlock/", BoardViewSet.as_view({"post": "unlock"}), name="board-unlock"),
    path(
        "boards/<int:pk>/snapshot/",
        BoardViewSet.as_view({"get": "snapshot"}),
        name="board-snapshot",
    ),
    path("boards/<int:pk>/events/", BoardViewSet.as_view({"get": "events"}), name="board-events"),
    # Under Daphne, project.asgi routes this path to realtime.stream before Django.
    path("boards/<int:pk>/stream/", BoardStreamView.as_view(), name="board-stream"),
    path("notifications/", NotificationViewSet.as_view({"get": "list"}), name="notification-list"),
    path(
        "notifications/read-all/",
        NotificationViewSet.as_view({"post": "read_all"}),
        name="notification-read-all",
    ),
    path(
        "notifications/<int:pk>/read/",
        NotificationViewSet.as_view({"post": "read"}),
        name="notification-read",
    ),
    path(
        "cards/<int:pk>/watch/",
        CardWatchViewSet.as_view({"get": "state", **WATCH}),
        name="card-watch",
    ),
    path(
        "boards/<int:pk>/watch/",
        BoardWatchViewSet.as_view(WATCH),
        name="board-watch",
    ),
    path("labels/", LabelViewSet.as_view(COLLECTION), name="label-list"),
    path("labels/<int:pk>/", LabelViewSet.as_view(ITEM), name="label-detail"),
    path("columns/", ColumnViewSet.as_view(COLLECTION), name="column-list"),
    path("columns/<int:pk>/", ColumnViewSet.as_view(ITEM), name="column-detail"),
    path("columns/<int:pk>/move/", ColumnViewSet.as_view({"post": "move"}), name="column-move"),
    path("cards/", CardViewSet.as_view(COLLECTION), name="card-list"),
    path("cards/<int:pk>/", CardViewSet.as_view(ITEM), name="card-detail"),
    path("cards/<int:pk>/move/", CardViewSet.as_view({"post": "move"}), name="card-move"),
    path("comments/", CommentViewSet.as_view(COLLECTION), name="comment-list"),
    path("comments/<int:pk>/", CommentViewSet.as_view(ITEM), name="comment-detail"),
    path("comments/<int:pk>/hide/", CommentViewSet.as_view({"post": "hide"}), name="comment-hide"),
    path(
        "comments/<int:pk>/reactions/",
        CommentViewSet.as_view({"post": "react"}),
        name="comment-reactions",
    ),
    path(
        "comments/<int:pk>/unhide/",
        CommentViewSet.as_view({"post": "unhide"}),
        name="comment-unhide",
    ),
    path("reports/", ReportView.as_view(), name="report-list"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Last: anything else under /api/v1/ is a 404 in the error shape, not an HTML page.
    re_path(r"^", NoRouteView.as_view(), name="api-no-route"),
]
