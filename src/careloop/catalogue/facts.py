"""Turn a resident into ``ResidentFacts`` for eligibility.

Age and sex come from the record; tags from the record (``living_alone``, ``disability``)
plus every registered tag provider. The health-profile issue registers a provider that adds
condition tags ("diabetes", "hypertension", "postpartum" …)::

    from careloop.catalogue.facts import register_tag_provider

    @register_tag_provider
    def condition_tags(resident):
        return {c.code for c in resident.conditions.active()}
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from careloop.catalogue.eligibility import ResidentFacts, age_on
from careloop.core import clock
from careloop.residents.models import Resident

TagProvider = Callable[[Resident], Iterable[str]]
_tag_providers: list[TagProvider] = []


def register_tag_provider(provider: TagProvider) -> TagProvider:
    """Add a source of resident tags (usable as a decorator; registering twice is a no-op)."""
    if provider not in _tag_providers:
        _tag_providers.append(provider)
    return provider


def unregister_tag_provider(provider: TagProvider) -> None:
    if provider in _tag_providers:
        _tag_providers.remove(provider)


def record_tags(resident: Resident) -> set[str]:
    """Tags that the residents app already knows."""
    tags: set[str] = set()
    if resident.living_alone:
        tags.add("living_alone")
    if resident.disability:
        tags.add("disability")
    return tags


def resident_facts(
    resident: Resident,
    *,
    on: date | None = None,
    tag_providers: Iterable[TagProvider] | None = None,
) -> ResidentFacts:
    """Facts about ``resident`` on ``on`` (today). ``tag_providers`` replaces the registered
    providers (tests, previews)."""
    on = on or clock.today()
    tags = record_tags(resident)
    for provider in _tag_providers if tag_providers is None else tag_providers:
        tags.update(provider(resident))
    return ResidentFacts(
        age=age_on(resident.birth_date, on), sex=resident.sex, tags=frozenset(tags)
    )
