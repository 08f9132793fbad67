"""Feature flags in rollout (django-waffle): which ones the caller gets, told to the browser app.

Operators switch each flag in the admin (its Flags page): on or off for everyone, or for
chosen users, groups, staff, superusers or a percentage. The app reads them with the
caller's account (``GET /me/`` and the log-in and sign-up answers), so a change shows
on the next page load. The fields of :class:`FeaturesOutput` are the list of flags.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest
from drf_spectacular.utils import extend_schema_field
from redis.exceptions import RedisError
from rest_framework import serializers
from waffle import flag_is_active, get_waffle_flag_model

from collab.representations import MeSerializer

logger = logging.getLogger(__name__)

_CACHE_ERRORS = (RedisError, OSError)
# Whether the last flag read met a cache failure: the outage is logged once, not per call.
_cache_down = False


class FeaturesOutput(serializers.Serializer):  # type: ignore[type-arg]
    """Each feature flag the browser app asks about, and whether the caller gets it."""

    activity_panel = serializers.BooleanField(
        help_text="Show the board's Activity panel (the events endpoint stays available)."
    )
    collaborative_descriptions = serializers.BooleanField(
        help_text="Edit card descriptions together, live (CodeMirror bound to the card's "
        "document socket); off, a plain text box saved whole. The socket and the REST "
        "field work either way."
    )


class MeOutput(MeSerializer):
    """The caller's account, with the feature flags they get."""

    features = serializers.SerializerMethodField()

    class Meta(MeSerializer.Meta):
        fields = [*MeSerializer.Meta.fields, "features"]
        read_only_fields = fields

    @extend_schema_field(FeaturesOutput)
    def get_features(self, user: Any) -> dict[str, bool]:
        # Flags are decided per request (user, cookies of a percentage rollout).
        return features_for(self.context["request"])


def features_for(request: HttpRequest) -> dict[str, bool]:
    """Return whether each flag of :class:`FeaturesOutput` is on for ``request.user``."""
    return {name: _is_active(request, name) for name in FeaturesOutput().fields.keys()}


def _is_active(request: HttpRequest, name: str) -> bool:
    global _cache_down
    try:
        active = bool(flag_is_active(request, name))
    except _CACHE_ERRORS as error:
        # waffle reads flags through the cache (Redis). While it is down, the flag's
        # "everyone" setting still holds; a partial rollout reads as off until it is back.
        if not _cache_down:
            logger.warning("Cache unreachable (%s): feature flags read as everyone-or-off.", error)
        _cache_down = True
        return get_waffle_flag_model().objects.filter(name=name, everyone=True).exists()
    if _cache_down:
        logger.info("Cache reachable again: feature flags read normally.")
    _cache_down = False
    return active
