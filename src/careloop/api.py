"""The JSON API under /api/v1/: one NinjaAPI, one Router per app."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="CareLoop API",
    version="1",
    urls_namespace="api",
)
