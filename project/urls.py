"""Top-level routes: the API, the admin, and the single-page app for everything else."""

from django.contrib import admin
from django.urls import include, path, re_path

from project.views import spa_index

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    # Client-side routes of the single-page app; built assets come from whitenoise.
    re_path(r"^(?!api/|admin/|ws/|static/).*$", spa_index, name="spa"),
]
