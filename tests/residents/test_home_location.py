"""A household's place on the map: staff set it on the resident's record page, both
coordinates or neither, within range; bad input writes nothing."""

from __future__ import annotations

import math

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from careloop.core.errors import DomainError, ForbiddenError
from careloop.core.models import AuditEvent
from careloop.residents import services
from careloop.residents.forms import HomeLocationForm
from careloop.residents.models import Household

from .test_pages import english

BOTH_OR_NEITHER = "Enter both the latitude and the longitude, or leave both empty."
LATITUDE_RANGE = "Enter a latitude between -90 and 90 degrees."
LONGITUDE_RANGE = "Enter a longitude between -180 and 180 degrees."


@pytest.fixture
def home(cast) -> Household:
    """Wang's household, not yet on the map."""
    household = services.create_household(actor=cast.director, community=cast.east, code="3-1-201")
    services.update_resident(
        actor=cast.director, resident=cast.wang, changes={"household": household}
    )
    return household


def located() -> int:
    return AuditEvent.objects.filter(action="careloop.household.located").count()


# ---- the service ----------------------------------------------------------------------------


def test_staff_locate_a_home_and_clear_it(cast, home):
    services.set_household_location(
        actor=cast.doctor_a, household=home, latitude=30.5512345678, longitude="114.3401"
    )
    home.refresh_from_db()
    assert (home.latitude, home.longitude) == (30.551235, 114.3401)  # six decimals kept
    assert home.location == (30.551235, 114.3401)
    event = AuditEvent.objects.get(action="careloop.household.located")
    assert (event.object_type, event.object_id) == ("residents.household", home.public_id)
    assert event.detail == {"located": True}  # never where the home is

    # The same place again writes nothing; two empties clear it.
    services.set_household_location(
        actor=cast.doctor_a, household=home, latitude=30.551235, longitude=114.3401
    )
    assert located() == 1
    services.set_household_location(
        actor=cast.doctor_a, household=home, latitude="", longitude=None
    )
    home.refresh_from_db()
    assert (home.latitude, home.longitude, home.location) == (None, None, None)
    assert AuditEvent.objects.filter(action="careloop.household.located").latest("id").detail == {
        "located": False
    }


@pytest.mark.parametrize(
    ("latitude", "longitude", "errors"),
    [
        (30.55, None, {"longitude": [BOTH_OR_NEITHER]}),
        ("", 114.34, {"latitude": [BOTH_OR_NEITHER]}),
        (90.5, 114.34, {"latitude": [LATITUDE_RANGE]}),
        (30.55, -180.01, {"longitude": [LONGITUDE_RANGE]}),
        (114.34, 30.55, {"latitude": [LATITUDE_RANGE]}),  # swapped
        (math.nan, math.inf, {"latitude": [LATITUDE_RANGE], "longitude": [LONGITUDE_RANGE]}),
        ("北纬30度", 114.34, {"latitude": ["Enter a number."]}),
    ],
)
def test_bad_coordinates_are_refused_and_nothing_is_written(
    cast, home, latitude, longitude, errors
):
    with pytest.raises(DomainError) as raised:
        services.set_household_location(
            actor=cast.doctor_a, household=home, latitude=latitude, longitude=longitude
        )
    assert raised.value.code == "residents.invalid"
    with translation.override("en"):
        fields = {name: [str(m) for m in ms] for name, ms in raised.value.fields.items()}
    assert fields == errors
    home.refresh_from_db()
    assert (home.latitude, home.longitude) == (None, None)
    assert located() == 0


@pytest.mark.parametrize("persona", ["cashier", "auditor", "west_director", "wang_user"])
def test_only_editors_of_the_community_locate_homes(cast, home, persona):
    with pytest.raises(ForbiddenError):
        services.set_household_location(
            actor=getattr(cast, persona), household=home, latitude=30.55, longitude=114.34
        )
    home.refresh_from_db()
    assert home.location is None
    assert located() == 0


def test_the_database_refuses_half_a_location(home):
    with pytest.raises(IntegrityError), transaction.atomic():
        Household.objects.filter(pk=home.pk).update(latitude=30.55)
    with pytest.raises(IntegrityError), transaction.atomic():
        Household.objects.filter(pk=home.pk).update(latitude=91.0, longitude=114.34)


# ---- the form and the record page ----------------------------------------------------------


def test_the_form_coerces_numbers_and_leaves_the_rules_to_the_service():
    form = HomeLocationForm({"latitude": " 30.55 ", "longitude": ""})
    assert form.is_valid()
    assert form.cleaned_data == {"latitude": 30.55, "longitude": None}
    form = HomeLocationForm({"latitude": "abc", "longitude": "inf"})
    assert not form.is_valid()
    assert set(form.errors) == {"latitude", "longitude"}


def test_the_record_page_shows_the_home_location_form(client, cast, home):
    english(client)
    client.force_login(cast.doctor_a)
    url = f"/w/residents/{cast.wang.public_id}/"
    html = client.get(url).content.decode()
    assert f'action="/w/residents/{cast.wang.public_id}/home/"' in html
    assert "Not on the map" in html
    services.set_household_location(
        actor=cast.doctor_a, household=home, latitude=30.5512, longitude=114.3401
    )
    html = client.get(url).content.decode()
    assert "30.551200, 114.340100" in html
    assert 'value="30.5512"' in html


def test_a_resident_without_a_household_has_no_home_form(client, cast):
    client.force_login(cast.doctor_a)
    html = client.get(f"/w/residents/{cast.wang.public_id}/").content.decode()
    assert f"/w/residents/{cast.wang.public_id}/home/" not in html
    response = client.post(
        f"/w/residents/{cast.wang.public_id}/home/", {"latitude": "30.55", "longitude": "114.34"}
    )
    assert response.status_code == 404


def test_staff_save_the_home_location_on_the_record_page(client, cast, home):
    client.force_login(cast.nurse_a)
    response = client.post(
        f"/w/residents/{cast.wang.public_id}/home/",
        {"latitude": "30.5512", "longitude": "114.3401"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/w/residents/{cast.wang.public_id}/#home"
    home.refresh_from_db()
    assert home.location == (30.5512, 114.3401)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"latitude": "30.5512", "longitude": ""}, "longitude", BOTH_OR_NEITHER),
        ({"latitude": "95", "longitude": "114.34"}, "latitude", LATITUDE_RANGE),
        ({"latitude": "30.55", "longitude": "东经114度"}, "longitude", "Enter a number."),
    ],
)
def test_bad_input_on_the_record_page_shows_the_error_and_saves_nothing(
    client, cast, home, data, field, message
):
    english(client)
    client.force_login(cast.doctor_a)
    response = client.post(f"/w/residents/{cast.wang.public_id}/home/", data)
    assert response.status_code == 400
    assert response.context["home_form"].errors[field] == [message]
    assert message in response.content.decode()
    home.refresh_from_db()
    assert home.location is None
    assert located() == 0


@pytest.mark.parametrize(("persona", "status"), [("doctor_b", 404), ("auditor", 403)])
def test_the_home_location_page_is_scoped(client, cast, home, persona, status):
    client.force_login(getattr(cast, persona))
    response = client.post(
        f"/w/residents/{cast.wang.public_id}/home/", {"latitude": "30.55", "longitude": "114.34"}
    )
    assert response.status_code == status
    home.refresh_from_db()
    assert home.location is None
