"""Console pages that edit packages (fields and an items editor) and organisations: editors
only, DomainError field errors on the form, nothing written on error, CSP on every page."""

from __future__ import annotations

import pytest

from careloop.catalogue import services
from careloop.catalogue.models import Organisation, Package, PackageItem
from careloop.core.models import AuditEvent
from tests.catalogue.test_pages import CATALOGUE, assert_csp, english

PACKAGES = f"{CATALOGUE}packages/"
ORGANISATIONS = f"{CATALOGUE}organisations/"


def counts() -> tuple[int, int, int]:
    return Package.objects.count(), PackageItem.objects.count(), AuditEvent.objects.count()


def management(total: int, initial: int = 0) -> dict[str, str]:
    return {
        "items-TOTAL_FORMS": str(total),
        "items-INITIAL_FORMS": str(initial),
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
    }


def package_post(rows=(), **fields) -> dict:
    data = {
        "code": "local.working_extra",
        "name_zh": "职场健康包",
        "name_en": "",
        "description_zh": "",
        "description_en": "",
        "group": "working",
        "min_age": "18",
        "max_age": "60",
        "sex": "",
        "active": "on",
        **management(len(rows) + 1),
    }
    for index, (service, count, unit) in enumerate(rows):
        data.update(
            {
                f"items-{index}-service": service,
                f"items-{index}-interval_count": count,
                f"items-{index}-interval_unit": unit,
            }
        )
    data[f"items-{len(rows)}-interval_unit"] = "month"  # an empty extra row
    data.update(fields)
    return data


def items_of(code: str) -> list[tuple[str, int, str]]:
    return [
        (i.service.code, i.interval_count, i.interval_unit)
        for i in PackageItem.objects.filter(package__code=code).select_related("service")
    ]


# ---- role matrix ----------------------------------------------------------------------------

EDIT_PAGES = [
    f"{PACKAGES}new/",
    f"{PACKAGES}package.elderly/edit/",
    f"{ORGANISATIONS}new/",
]


@pytest.mark.parametrize("page", EDIT_PAGES)
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("director", 200),
        ("admin", 200),
        ("auditor", 403),
        ("doctor_a", 403),
        ("cashier", 403),
        ("wang_user", 403),
    ],
)
def test_edit_pages_role_matrix(client, cast, page, persona, status):
    client.force_login(getattr(cast, persona))
    response = client.get(page)
    assert response.status_code == status
    if status == 200:
        assert_csp(response)


def test_edit_pages_need_sign_in(client, db):
    for page in EDIT_PAGES:
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_lists_link_the_editors_for_editors_only(client, cast, centre):
    client.force_login(cast.director)
    html = client.get(PACKAGES).text
    assert f'href="{PACKAGES}new/"' in html
    assert f'href="{PACKAGES}package.elderly/edit/"' in html
    html = client.get(ORGANISATIONS).text
    assert f'href="{ORGANISATIONS}new/"' in html
    assert f'href="{ORGANISATIONS}east.centre/edit/"' in html

    client.force_login(cast.doctor_a)
    assert "/edit/" not in client.get(PACKAGES).text
    assert "/packages/new/" not in client.get(PACKAGES).text
    html = client.get(ORGANISATIONS).text
    assert "/edit/" not in html
    assert "/organisations/new/" not in html


def test_unknown_package_is_404(client, cast):
    client.force_login(cast.director)
    assert client.get(f"{PACKAGES}no.such/edit/").status_code == 404


# ---- packages -------------------------------------------------------------------------------


def test_edit_page_shows_items_and_empty_rows(client, cast):
    client.force_login(cast.director)
    response = client.get(f"{PACKAGES}package.elderly/edit/")
    html = response.content.decode()
    count = PackageItem.objects.filter(package__code="package.elderly").count()
    assert f'name="items-TOTAL_FORMS" value="{count + 3}"' in html
    assert f'name="items-{count + 2}-service"' in html
    assert '<option value="basic.elder_checkup" selected>' in html
    assert_csp(response)


def test_director_adds_a_package_with_items(client, cast):
    client.force_login(cast.director)
    response = client.post(
        f"{PACKAGES}new/",
        package_post(
            [("basic.common_illness", "", "on_request"), ("maintenance.bp_monitoring", "2", "week")]
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == f"{PACKAGES}local.working_extra/edit/"
    package = Package.objects.get(code="local.working_extra")
    assert (package.group, package.min_age, package.max_age) == ("working", 18, 60)
    assert items_of(package.code) == [
        ("basic.common_illness", 1, "on_request"),
        ("maintenance.bp_monitoring", 2, "week"),
    ]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"careloop.catalogue.package_created", "careloop.catalogue.package_items_set"} <= actions
    assert package.name_zh in client.get(PACKAGES).text


def test_director_edits_and_replaces_items(client, cast):
    client.force_login(cast.director)
    client.post(f"{PACKAGES}new/", package_post([("basic.common_illness", "1", "month")]))
    url = f"{PACKAGES}local.working_extra/edit/"
    data = package_post(
        [("basic.common_illness", "3", "month"), ("development.yoga_class", "1", "week")],
        name_zh="职场包",
    )
    data.update({"items-INITIAL_FORMS": "1"})
    data.pop("code")
    response = client.post(url, data)
    assert response.status_code == 302
    assert Package.objects.get(code="local.working_extra").name_zh == "职场包"
    assert items_of("local.working_extra") == [
        ("basic.common_illness", 3, "month"),
        ("development.yoga_class", 1, "week"),
    ]
    # Ticking "Remove" leaves a row out.
    data["items-0-DELETE"] = "on"
    assert client.post(url, data).status_code == 302
    assert items_of("local.working_extra") == [("development.yoga_class", 1, "week")]


def test_bad_package_fields_show_errors_and_write_nothing(client, cast):
    english(client)
    client.force_login(cast.director)
    before = counts()
    response = client.post(
        f"{PACKAGES}new/",
        package_post([("basic.common_illness", "1", "month")], min_age="70", max_age="60"),
    )
    assert response.status_code == 400
    assert "The maximum age must not be below the minimum age." in response.text
    assert counts() == before
    assert_csp(response)


def test_bad_items_show_row_errors_and_write_nothing(client, cast):
    """The package itself is valid, its items are not: the package is not created either."""
    english(client)
    client.force_login(cast.director)
    before = counts()
    response = client.post(
        f"{PACKAGES}new/",
        package_post(
            [
                ("basic.common_illness", "0", "month"),
                ("basic.common_illness", "1", "week"),
            ]
        ),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a whole number between 1 and 999." in html
    assert "This service is already in the package." in html
    assert counts() == before


def test_bad_items_on_edit_keep_the_old_items(client, cast):
    client.force_login(cast.director)
    before = items_of("package.elderly")
    package = Package.objects.get(code="package.elderly")
    data = package_post([("basic.elder_checkup", "5", "fortnight")], name_zh="改名")
    data.pop("code")
    data["group"] = package.group
    counted = counts()
    response = client.post(f"{PACKAGES}package.elderly/edit/", data)
    assert response.status_code == 400
    assert counts() == counted
    assert items_of("package.elderly") == before
    assert Package.objects.get(code="package.elderly").name_zh == package.name_zh


def test_reader_cannot_post_a_package(client, cast):
    client.force_login(cast.doctor_a)
    before = counts()
    assert client.post(f"{PACKAGES}new/", package_post()).status_code == 403
    data = package_post(name_zh="改名")
    assert client.post(f"{PACKAGES}package.elderly/edit/", data).status_code == 403
    assert counts() == before


# ---- organisations --------------------------------------------------------------------------


@pytest.fixture
def centre(cast) -> Organisation:
    return services.create_organisation(
        actor=cast.director, code="east.centre", name_zh="东湖社区卫生服务中心",
        kind="community_centre", community=cast.east,
    )  # fmt: skip


def organisation_post(**fields) -> dict:
    return {
        "code": "east.volunteers",
        "name_zh": "东湖志愿者服务队",
        "name_en": "",
        "kind": "volunteer_team",
        "address": "东湖路2号",
        "phone": "027-5555",
        "latitude": "30.5",
        "longitude": "114.3",
        **fields,
    }


def test_director_adds_an_organisation_to_their_community(client, cast):
    client.force_login(cast.director)
    response = client.post(f"{ORGANISATIONS}new/", organisation_post(community=cast.west.pk))
    assert response.status_code == 302
    organisation = Organisation.objects.get(code="east.volunteers")
    assert organisation.community == cast.east  # an editor cannot pick another community
    assert organisation.address == "东湖路2号"
    assert AuditEvent.objects.filter(action="careloop.catalogue.organisation_created").exists()


def test_admin_picks_the_community(client, cast):
    client.force_login(cast.admin)
    assert 'name="community"' in client.get(f"{ORGANISATIONS}new/").text
    response = client.post(f"{ORGANISATIONS}new/", organisation_post(community=""))
    assert response.status_code == 302
    assert Organisation.objects.get(code="east.volunteers").community is None


def test_bad_organisation_writes_nothing(client, cast, centre):
    english(client)
    client.force_login(cast.director)
    before = (Organisation.objects.count(), AuditEvent.objects.count())
    response = client.post(f"{ORGANISATIONS}new/", organisation_post(code="east.centre"))
    assert response.status_code == 400
    assert "An organisation with this code already exists." in response.text
    response = client.post(f"{ORGANISATIONS}new/", organisation_post(latitude="95"))
    assert response.status_code == 400
    assert "Enter a number between -90 and 90." in response.text
    assert (Organisation.objects.count(), AuditEvent.objects.count()) == before
    assert_csp(response)


def test_director_edits_an_organisation(client, cast, centre):
    client.force_login(cast.director)
    url = f"{ORGANISATIONS}east.centre/edit/"
    response = client.get(url)
    assert response.status_code == 200
    assert 'name="code"' not in response.text
    assert_csp(response)
    data = organisation_post(name_zh="东湖中心", kind="community_centre")
    data.pop("code")
    response = client.post(url, data)
    assert response.status_code == 302
    centre.refresh_from_db()
    assert (centre.name_zh, centre.phone, centre.active) == ("东湖中心", "027-5555", False)
    assert AuditEvent.objects.filter(action="careloop.catalogue.organisation_updated").exists()


def test_bad_organisation_edit_writes_nothing(client, cast, centre):
    english(client)
    client.force_login(cast.director)
    before = AuditEvent.objects.count()
    data = organisation_post(name_zh="东湖中心", kind="community_centre", longitude="200")
    response = client.post(f"{ORGANISATIONS}east.centre/edit/", data)
    assert response.status_code == 400
    assert "Enter a number between -180 and 180." in response.text
    centre.refresh_from_db()
    assert centre.name_zh == "东湖社区卫生服务中心"
    assert AuditEvent.objects.count() == before


def test_others_cannot_edit_an_organisation(client, cast, centre):
    hospital = services.create_organisation(
        actor=cast.admin, code="wuchang.hospital", name_zh="武昌区人民医院", kind="hospital"
    )
    for persona in ("doctor_a", "auditor", "west_director"):
        client.force_login(getattr(cast, persona))
        assert client.get(f"{ORGANISATIONS}east.centre/edit/").status_code == 403
        assert (
            client.post(f"{ORGANISATIONS}east.centre/edit/", organisation_post()).status_code == 403
        )
    client.force_login(cast.director)
    assert client.get(f"{ORGANISATIONS}{hospital.code}/edit/").status_code == 403
    assert client.get(f"{ORGANISATIONS}no.such/edit/").status_code == 404
    centre.refresh_from_db()
    assert centre.name_zh == "东湖社区卫生服务中心"


def test_inactive_packages_are_listed_for_editors_only(client, cast):
    services.update_package(
        actor=cast.director,
        package=Package.objects.get(code="package.elderly"),
        changes={"active": False},
    )
    client.force_login(cast.director)
    assert f'href="{PACKAGES}package.elderly/edit/"' in client.get(PACKAGES).text
    client.force_login(cast.doctor_a)
    assert 'id="package-package.elderly"' not in client.get(PACKAGES).text


def test_package_editor_in_chinese(client, cast):
    client.force_login(cast.director)
    html = client.get(f"{PACKAGES}package.elderly/edit/").content.decode()
    for text in ("编辑 医养结合服务包", "服务包中的服务项目", "每 N 天/周/月/年", "频次单位"):
        assert text in html
