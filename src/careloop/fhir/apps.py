from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FhirConfig(AppConfig):
    name = "careloop.fhir"
    label = "fhir"
    verbose_name = _("FHIR R4 interface")
    # No ready(): the resource modules are imported on first use (registry.autodiscover), so
    # commands that never serve FHIR do not import fhir.resources. (Run from src/careloop,
    # ``python -m`` puts this app's directory first on sys.path as a top-level ``fhir``.)
