"""``careloop import-fhir``: a dry run reports per entry and writes nothing; --commit writes
all or nothing."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from careloop.observations.models import Observation
from careloop.residents.models import Resident
from tests.fhir.conftest import patient_body, valid_id
from tests.fhir.test_observation import bp_body, transaction

UUID = "urn:uuid:0b5c2f0e-9d41-4a8b-a0f7-0000000000aa"


@pytest.fixture
def bundle_file(tmp_path, cast):
    def write(*resources, full_urls=None):
        path = tmp_path / "bundle.json"
        path.write_text(json.dumps(transaction(*resources, full_urls=full_urls)), "utf-8")
        return path

    return write


def run(*args):
    out = StringIO()
    call_command("import-fhir", *map(str, args), "--language", "en", stdout=out)
    return out.getvalue()


def test_dry_run_reports_and_writes_nothing_then_commit_writes(bundle_file, cast):
    path = bundle_file(
        patient_body("张伟", valid_id(51)), bp_body(UUID, 140, 90, identifier="imp-1"),
        full_urls=[UUID, None],
    )  # fmt: skip
    residents = Resident.objects.count()

    report = run(path, "--user", "director")

    assert "entry 0 (Patient): 201 Created Patient/" in report
    assert "entry 1 (Observation): 201 Created Observation/" in report
    assert "dry run" in report
    assert (Resident.objects.count(), Observation.objects.count()) == (residents, 0)

    run(path, "--user", "director", "--commit")
    assert (Resident.objects.count(), Observation.objects.count()) == (residents + 1, 1)


def test_refused_bundle_names_the_entry_and_writes_nothing(bundle_file, cast):
    path = bundle_file(
        bp_body(f"Patient/{cast.wang.public_id}", 120, 80),
        bp_body(f"Patient/{cast.wang.public_id}", 500, 80),
    )
    out = StringIO()

    with pytest.raises(CommandError, match="refused"):
        call_command("import-fhir", str(path), "--user", "doctor_a", "--commit",
                     "--language", "en", stdout=out)  # fmt: skip

    assert "entry 1 (Observation): 400: Entry 1:" in out.getvalue()
    assert "component[0].valueQuantity.value" in out.getvalue()
    assert Observation.objects.count() == 0
