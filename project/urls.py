"""Top-level routes: the API, the admin, health probes and the single-page app."""

from django.contrib import admin
from django.urls import include, path, re_path

from project.metrics import metrics_view
from project.views import admin_login, healthz, readyz, spa_index

urlpatterns = [
    # Before admin.site.urls: the admin's own log-in view has no rate limit.
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    # Client-side routes of the single-page app; built assets come from whitenoise.
    re_path(r"^(?!api/|admin/|ws/|static/|healthz$|readyz$|metrics$).*$", spa_index, name="spa"),
]

# Uncaught exceptions: JSON for a failed dependency and for API paths (project/views.py).
handler500 = "project.views.server_error"
