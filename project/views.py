"""Serve the built single-page app's index.html for client-side routes."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import ensure_csrf_cookie

_NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>Corkboard</title>
<p>The front end is not built yet: run <code>npm --prefix frontend ci &amp;&amp;
npm --prefix frontend run build</code>.
The API is at <a href="/api/v1/docs/">/api/v1/docs/</a>.</p>"""


@ensure_csrf_cookie
def spa_index(request: HttpRequest) -> HttpResponse:
    """Return the app shell; the CSRF cookie rides along for the app's first write."""
    index = settings.FRONTEND_DIST / "index.html"
    if not index.is_file():
        return HttpResponse(_NOT_BUILT)
    response = HttpResponse(index.read_text(encoding="utf-8"))
    response["Cache-Control"] = "no-cache"
    return response
