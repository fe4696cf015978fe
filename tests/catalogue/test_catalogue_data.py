from django.db.models import Count

from careloop.catalogue import reference
from careloop.catalogue.models import (
    LifeGroup,
    Package,
    PackageItem,
    PublicHoliday,
    Service,
    Skill,
    Tag,
    Tier,
)
from careloop.catalogue.selectors import browse_services
from careloop.catalogue.services import load_catalogue
from careloop.core.models import AuditEvent

# Every service seed 002 §3.1–3.3 names (issue 4), by its stable code.
SEED_SERVICES = {
    # §3.1.1 basic
    "basic.common_illness", "basic.chronic_refill", "basic.two_way_referral",
    "basic.health_record", "basic.vaccination", "basic.infectious_disease_report",
    "basic.elder_checkup", "basic.child_checkup", "basic.cpr_training", "basic.aed_access",
    "basic.online_consultation",
    # §3.1.2 maintenance
    "maintenance.hypertension_management", "maintenance.diabetes_management",
    "maintenance.diet_guidance", "maintenance.exercise_guidance",
    "maintenance.medication_guidance", "maintenance.bp_monitoring",
    "maintenance.glucose_monitoring", "maintenance.lung_cancer_screening",
    "maintenance.breast_cancer_screening", "maintenance.bone_density",
    "maintenance.cardiovascular_risk", "maintenance.postsurgery_rehab",
    "maintenance.postpartum_rehab", "maintenance.disability_rehab",
    # §3.1.3 development
    "development.health_lecture", "development.health_salon",
    "development.exercise_prescription", "development.taichi_class", "development.yoga_class",
    "development.walking_group", "development.psych_counselling", "development.stress_workshop",
    "development.elder_comfort",
    # §3.2.1 elderly
    "maintenance.home_hospital_bed", "maintenance.home_bathing", "maintenance.home_nursing",
    "maintenance.cognitive_screening", "maintenance.low_salt_meals", "development.time_bank",
    "maintenance.medicine_delivery", "maintenance.living_alone_visit", "basic.one_key_call",
    "development.smart_device_teaching",
    # §3.2.2 children
    "maintenance.child_vision_screening", "maintenance.child_dental_caries",
    "maintenance.child_growth_monitoring", "development.child_psych_counselling",
    "development.after_school_health_class",
    # §3.2.3 working adults
    "maintenance.spine_rehab", "maintenance.fatty_liver_management",
    "development.eap_counselling", "development.workplace_first_aid",
    # §3.2.4 special groups
    "basic.medical_fee_relief", "maintenance.assistive_device_fitting",
    "maintenance.mental_health_rehab", "basic.homeless_health_aid",
    # §2.2 association rule → package
    "maintenance.diabetic_foot_screening",
    # §3.3 provider network
    "basic.specialist_clinic", "basic.remote_consultation", "development.peer_support_group",
    "development.custom_checkup", "development.square_dance", "development.parent_communication",
}  # fmt: skip


def test_shipped_catalogue_names_every_seed_service(db):
    codes = set(Service.objects.values_list("code", flat=True))
    assert SEED_SERVICES - codes == set()
    assert codes == SEED_SERVICES  # nothing unreviewed slipped in either


def test_every_service_is_complete(db):
    services = Service.objects.annotate(
        n_modes=Count("delivery_modes", distinct=True),
        n_skills=Count("required_skills", distinct=True),
    )
    for service in services:
        assert service.name_zh and service.name_en and service.description_zh, service.code
        assert service.n_modes >= 1 and service.n_skills >= 1, service.code
        assert service.tier == service.code.split(".")[0]
        assert service.duration_minutes > 0
        assert service.insurance_covered_fen <= service.price_fen
    assert set(services.values_list("tier", flat=True)) == set(Tier.values)


def test_public_health_basic_services_are_free(db):
    phs = Service.objects.filter(is_public_health_basic=True)
    assert phs.count() >= 8
    assert set(phs.values_list("price_fen", flat=True)) == {0}


def test_four_life_cycle_packages_with_seed_items(db):
    packages = {p.code: p for p in Package.objects.all()}
    assert {p.group for p in packages.values()} == set(LifeGroup.values)
    assert packages["package.elderly"].name_zh == "医养结合服务包"
    assert packages["package.child"].name_zh == "健康护航服务包"
    assert packages["package.working"].name_zh == "职场赋能服务包"
    assert packages["package.special"].name_zh == "兜底保障服务包"
    elderly = set(packages["package.elderly"].items.values_list("service__code", flat=True))
    assert {"maintenance.home_hospital_bed", "development.time_bank",
            "maintenance.bp_monitoring"} <= elderly  # fmt: skip
    bp = PackageItem.objects.get(
        package__code="package.elderly", service__code="maintenance.bp_monitoring"
    )
    assert (bp.interval_count, bp.interval_unit) == (1, "month")


def test_eligibility_data_for_the_acceptance_cases(db):
    foot = Service.objects.get(code="maintenance.diabetic_foot_screening")
    assert foot.eligibility.required_tags == frozenset({"diabetes"})
    postpartum = Service.objects.get(code="maintenance.postpartum_rehab").eligibility
    assert postpartum.sex == "F" and postpartum.required_tags == frozenset({"postpartum"})
    assert Service.objects.get(code="basic.elder_checkup").min_age == 65


def test_reference_tables_loaded(db):
    assert Skill.objects.filter(code__in=["doctor", "nurse", "rehab_therapist", "psychologist",
                                          "health_manager", "volunteer"]).count() == 6  # fmt: skip
    assert (
        Tag.objects.filter(
            code__in=["diabetes", "postpartum", "disability", "living_alone"]
        ).count()
        == 4
    )
    assert PublicHoliday.objects.count() == len(reference.read_holidays()["days"])


def test_load_catalogue_is_idempotent_and_keeps_local_edits(cast):
    Service.objects.filter(code="basic.bone_density").update(price_fen=1)  # no such code: no-op
    Service.objects.filter(code="maintenance.bone_density").update(price_fen=6000)
    before = AuditEvent.objects.count()
    result = load_catalogue(actor=cast.director)
    assert result.created == {} and result.updated == {}
    assert AuditEvent.objects.count() == before  # nothing changed, nothing audited
    assert Service.objects.get(code="maintenance.bone_density").price_fen == 6000
    result = load_catalogue(actor=cast.director, update_existing=True)
    assert result.updated == {"services": 1}
    assert Service.objects.get(code="maintenance.bone_density").price_fen == 8000
    assert AuditEvent.objects.filter(action="careloop.catalogue.loaded").count() == 1


def test_load_catalogue_recreates_deleted_rows(cast):
    Package.objects.filter(code="package.special").delete()
    result = load_catalogue(actor=None)
    assert result.created == {"packages": 1, "package_items": 5}


def test_browse_by_tier_mode_group_and_text(cast):
    user = cast.wang_user
    home = browse_services(user, mode="home")
    assert "maintenance.home_bathing" in {s.code for s in home}
    assert "basic.vaccination" not in {s.code for s in home}
    assert {s.tier for s in browse_services(user, tier="basic")} == {"basic"}
    child = {s.code for s in browse_services(user, group="child")}
    assert "maintenance.child_vision_screening" in child and "basic.elder_checkup" not in child
    assert [s.code for s in browse_services(user, q="糖尿病足")] == [
        "maintenance.diabetic_foot_screening"
    ]
    assert [s.code for s in browse_services(user, q="foot")] == [
        "maintenance.diabetic_foot_screening"
    ]
    assert {s.code for s in browse_services(user, package="package.working")} >= {
        "maintenance.spine_rehab"
    }


def test_browse_needs_a_login(db):
    from django.contrib.auth.models import AnonymousUser

    assert browse_services(AnonymousUser()).count() == 0
    assert browse_services(None).count() == 0


def test_service_list_query_count(cast, django_assert_num_queries):
    with django_assert_num_queries(4):  # services + modes + tags + skills
        services = list(browse_services(cast.wang_user))
        assert all(s.modes and s.eligibility for s in services)
