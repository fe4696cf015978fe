"""Questionnaire pages: the form is built from the versioned schema in Chinese (English when
asked); a resident answers for themselves, staff on a resident's behalf; per-item errors
write nothing and keep the answers; the confirmation shows the derived tags."""

from __future__ import annotations

import re

import pytest

from careloop.core.models import AuditEvent
from careloop.residents.models import QuestionnaireResponse
from careloop.residents.profile_selectors import latest_response

GOOD = {
    "version": "1",
    "diet": "balanced",
    "salt_intake": "heavy",
    "exercise_days": "1",
    "sleep_hours": "6.5",
    "smoking": "current",
    "drinking": "never",
    "stress_level": "high",
    "living_alone": "yes",
    "has_caregiver": "no",
    "self_management": "willing",
    "note": "",
}
OWN = "/r/questionnaires/lifestyle/"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+=", re.IGNORECASE)


def staff_url(resident) -> str:
    return f"/w/residents/{resident.public_id}/questionnaires/lifestyle/"


def assert_strict_page(response) -> None:
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("style-src")[0]
    html = response.content.decode()
    assert INLINE_SCRIPT.findall(html) == []
    assert INLINE_HANDLER.findall(html) == []
    assert " style=" not in html


def item_errors(html: str, link_id: str) -> str:
    """The text of the item block for ``link_id``."""
    match = re.search(
        rf'<li class="q-item[^"]*" id="item-{link_id}">(.*?)</li>\s*(<li class="q-item|</ol>)',
        html,
        re.S,
    )
    assert match, link_id
    return match.group(1)


def test_form_is_built_from_the_schema_in_chinese(client, cast):
    client.force_login(cast.wang_user)
    response = client.get(OWN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "生活方式与社会情况问卷" in html
    assert "您平时的饮食以哪种为主？" in html
    assert "每周有几天运动30分钟以上？" in html
    assert 'type="radio" name="diet" value="balanced"' in html
    assert 'name="living_alone" value="yes"' in html and 'name="living_alone" value="no"' in html
    assert re.search(r'<input type="number" name="exercise_days"[^>]*max="7"', html)
    assert re.search(r'<input type="number" name="exercise_days"[^>]*min="0"', html)
    assert "<textarea" in html and 'name="note"' in html
    assert_strict_page(response)


def test_form_in_english_uses_text_en(client, cast):
    client.cookies["django_language"] = "en"
    client.force_login(cast.wang_user)
    html = client.get(OWN).content.decode()
    assert "Lifestyle and social questionnaire" in html
    assert "您平时的饮食以哪种为主？" not in html


def test_resident_home_links_to_the_questionnaire_with_its_state(client, cast):
    client.force_login(cast.wang_user)
    html = client.get("/r/").content.decode()
    assert f'href="{OWN}"' in html
    assert "生活方式与社会情况问卷" in html
    client.post(OWN, GOOD)
    html = client.get("/r/").content.decode()
    answered = latest_response(cast.wang, "lifestyle").submitted_at
    assert f"{answered.year}年{answered.month}月" in html


def test_resident_submits_own_answers_and_sees_tags(client, cast):
    client.force_login(cast.wang_user)
    response = client.post(OWN, GOOD)
    assert response.status_code == 302
    assert response["Location"] == "/r/questionnaires/lifestyle/done/"
    saved = QuestionnaireResponse.objects.get()
    assert saved.resident == cast.wang
    assert saved.on_behalf is False
    assert saved.answered_by == cast.wang_user
    assert saved.answers["exercise_days"] == 1
    assert saved.answers["living_alone"] is True
    done = client.get(response["Location"])
    assert done.status_code == 200
    html = done.content.decode()
    assert 'class="tag" data-tag="' in html
    assert_strict_page(done)
    # Answering again starts from the previous answers.
    again = client.get(OWN).content.decode()
    assert re.search(r'value="heavy"[^>]*checked', again)


def test_bad_answers_show_per_item_errors_keep_answers_and_write_nothing(client, cast):
    client.force_login(cast.wang_user)
    before = AuditEvent.objects.count()
    bad = {**GOOD, "exercise_days": "9", "sleep_hours": "abc", "diet": ""}
    response = client.post(OWN, bad)
    assert response.status_code == 400
    html = response.content.decode()
    assert "7" in item_errors(html, "exercise_days")
    assert 'class="errorlist"' in item_errors(html, "exercise_days")
    assert 'class="errorlist"' in item_errors(html, "sleep_hours")
    assert 'class="errorlist"' in item_errors(html, "diet")
    assert 'class="errorlist"' not in item_errors(html, "smoking")
    # Answers kept.
    assert 'value="9"' in item_errors(html, "exercise_days")
    assert re.search(r'value="heavy"[^>]*checked', html)
    assert not QuestionnaireResponse.objects.exists()
    assert AuditEvent.objects.count() == before
    assert_strict_page(response)


def test_a_stale_version_is_refused(client, cast):
    client.force_login(cast.wang_user)
    response = client.post(OWN, {**GOOD, "version": "0"})
    assert response.status_code == 400
    assert not QuestionnaireResponse.objects.exists()


@pytest.mark.parametrize("staff", ["doctor_a", "nurse_a", "director"])
def test_staff_answer_on_the_residents_behalf(client, cast, staff):
    client.force_login(getattr(cast, staff))
    page = client.get(staff_url(cast.wang))
    assert page.status_code == 200
    assert "王秀英" in page.content.decode()
    assert_strict_page(page)
    response = client.post(staff_url(cast.wang), GOOD)
    assert response.status_code == 302
    saved = QuestionnaireResponse.objects.get()
    assert (saved.resident, saved.answered_by, saved.on_behalf) == (
        cast.wang,
        getattr(cast, staff),
        True,
    )
    done = client.get(response["Location"])
    assert done.status_code == 200


def test_record_page_links_to_the_questionnaire(client, cast):
    client.force_login(cast.doctor_a)
    html = client.get(f"/w/residents/{cast.wang.public_id}/").content.decode()
    assert f'href="{staff_url(cast.wang)}"' in html


def test_guardian_answers_for_a_dependant(client, cast):
    client.force_login(cast.wang_user)
    url = f"/r/family/{cast.li.public_id}/questionnaires/lifestyle/"
    assert client.get(f"/r/family/{cast.li.public_id}/").content.decode().count(url) == 1
    assert client.post(url, GOOD).status_code == 302
    saved = QuestionnaireResponse.objects.get()
    assert (saved.resident, saved.on_behalf) == (cast.li, True)


@pytest.mark.parametrize(
    ("user", "url"),
    [
        ("wang_user", "/r/family/{zhao}/questionnaires/lifestyle/"),  # not a dependant
        ("zhao_user", "/r/family/{wang}/questionnaires/lifestyle/"),
        ("doctor_b", "/w/residents/{wang}/questionnaires/lifestyle/"),  # another team
        ("west_director", "/w/residents/{wang}/questionnaires/lifestyle/"),  # other community
        ("wang_user", "/r/questionnaires/no-such-questionnaire/"),
    ],
)
def test_another_residents_questionnaire_is_404(client, cast, user, url):
    client.force_login(getattr(cast, user))
    url = url.format(wang=cast.wang.public_id, zhao=cast.zhao.public_id)
    assert client.get(url).status_code == 404
    assert client.post(url, GOOD).status_code == 404
    assert not QuestionnaireResponse.objects.exists()


@pytest.mark.parametrize("user", ["cashier", "auditor", "wang_user"])
def test_roles_that_do_not_edit_records_may_not_answer_for_others(client, cast, user):
    client.force_login(getattr(cast, user))
    assert client.post(staff_url(cast.zhao), GOOD).status_code == 403
    assert not QuestionnaireResponse.objects.exists()


def test_anonymous_goes_to_sign_in(client, cast):
    response = client.get(OWN)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
