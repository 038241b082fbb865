"""The monitoring pages' one blueprint (``/monitoring``): each part's views module adds its
routes to it (locks, queries, SDV), and the app registers it once."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("monitoring", __name__, url_prefix="/monitoring")
