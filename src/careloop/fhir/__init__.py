"""HL7 FHIR R4 facade under ``/fhir/r4/`` (resource models: ``fhir.resources.R4B``).

Each supported resource type is one module in ``careloop.fhir.resources`` that subclasses
``registry.ResourceHandler`` and registers itself with ``@registry.register``; the HTTP layer
(``views``), the batch/transaction processor (``bundle``) and the CapabilityStatement
(``capability``) are generated from the registry, so a new type needs nothing else.
"""
