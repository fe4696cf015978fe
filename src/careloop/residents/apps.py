from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    name = "careloop.residents"
    label = "residents"
    verbose_name = _("Residents")

    def ready(self) -> None:
        # The catalogue's eligibility rules read resident tags through its provider hook;
        # the derived profile tags feed it when the catalogue is installed.
        if apps.is_installed("careloop.catalogue"):
            from careloop.catalogue.facts import register_tag_provider
            from careloop.residents.profile_selectors import tags_of

            register_tag_provider(tags_of)
