from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "careloop.matching"
    label = "matching"
    verbose_name = "Matching"
