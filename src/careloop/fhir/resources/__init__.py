"""One module per FHIR resource type; each registers its handler when imported, and every
module here is imported when the app is ready (``registry.autodiscover``)."""
