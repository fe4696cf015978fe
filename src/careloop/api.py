"""The JSON API under /api/v1/: one NinjaAPI, one Router per app.

Every operation needs a bearer token (``POST /auth/token``) or a Django session (with the
CSRF token for unsafe methods), unless it says ``auth=None``. Every error body is
``{"code", "message", "fields"}``, translated per ``Accept-Language``.
"""

from careloop.analytics.api import router as analytics_router
from careloop.catalogue.api import router as catalogue_router
from careloop.core.api import ApiTokenAuth, CareLoopAPI, SessionAuth, install_error_handlers
from careloop.core.api import router as core_router
from careloop.demands.api import router as demands_router
from careloop.observations.api import router as observations_router
from careloop.residents.api import router as residents_router

api = CareLoopAPI(
    title="CareLoop API",
    version="1",
    description="Community health demand-supply matching and primary care.",
    urls_namespace="api",
    auth=[ApiTokenAuth(), SessionAuth()],
)
install_error_handlers(api)

api.add_router("", core_router)
api.add_router("/residents", residents_router)
api.add_router("", observations_router)
api.add_router("/catalogue", catalogue_router)
api.add_router("", demands_router)
api.add_router("", analytics_router)
