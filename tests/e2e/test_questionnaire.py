"""A resident fills the lifestyle questionnaire on a phone: a wrong number is marked next to
its question, the corrected answers are saved and the confirmation shows the profile tags."""

from __future__ import annotations

import pytest

from careloop.residents.models import QuestionnaireResponse
from tests.e2e.test_portals import sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def lifestyle(e2e_cast):
    """The flush after a transactional test removes the migration's questionnaire: put the
    shipped definition back."""
    from careloop.residents.services.profile import load_reference_data

    load_reference_data()


def test_resident_fills_the_questionnaire(
    live_server, e2e_cast, lifestyle, phone_page, console, shots
):
    page = phone_page
    sign_in(page, live_server, "wang")
    with page.expect_navigation():
        page.click("a[href='/r/questionnaires/lifestyle/']")
    assert "生活方式与社会情况问卷" in page.inner_text("h1")

    page.click("label[for='id_diet_0']")
    page.click("label[for='id_salt_intake_2']")
    page.fill("#id_exercise_days", "9")
    page.fill("#id_sleep_hours", "6.5")
    page.click("label[for='id_smoking_0']")
    page.click("label[for='id_drinking_0']")
    page.click("label[for='id_stress_level_1']")
    page.click("label[for='id_living_alone_0']")
    page.click("label[for='id_has_caregiver_1']")
    page.click("label[for='id_self_management_0']")
    with page.expect_navigation():
        page.click("form.questionnaire button[type=submit]")
    assert page.is_visible("#item-exercise_days .errorlist")
    assert page.is_checked("#id_salt_intake_2")  # answers kept
    assert not QuestionnaireResponse.objects.exists()
    page.screenshot(path=str(shots / "questionnaire-error.png"), full_page=True)

    page.fill("#id_exercise_days", "2")
    page.screenshot(path=str(shots / "questionnaire.png"), full_page=True)
    with page.expect_navigation():
        page.click("form.questionnaire button[type=submit]")
    assert page.url.endswith("/r/questionnaires/lifestyle/done/")
    assert page.locator(".questionnaire-done").is_visible()
    assert page.locator(".record-tags .tag").count() >= 1
    page.screenshot(path=str(shots / "questionnaire-done.png"), full_page=True)
    saved = QuestionnaireResponse.objects.get()
    assert (saved.answers["exercise_days"], saved.on_behalf) == (2, False)
    assert console.csp_violations() == []
