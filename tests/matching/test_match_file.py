"""``careloop match-file IN.json OUT.json`` on a small file."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from careloop.matching.engine import feasible
from careloop.matching.fileformat import parse
from careloop.matching.synthetic import generate_demands, generate_slots, to_document


def test_round_trip(tmp_path):
    slots = generate_slots(20, days=3, codes=4, seed=3)
    demands = generate_demands(120, days=3, codes=4, seed=4)
    document = to_document(slots, demands)
    source, target = tmp_path / "in.json", tmp_path / "out.json"
    source.write_text(json.dumps(document), encoding="utf-8")

    call_command("match-file", str(source), str(target))

    result = json.loads(target.read_text(encoding="utf-8"))
    assert set(result) == {"assignments", "unmatched", "seconds"}
    parsed_slots, parsed_demands = parse(document)
    assert parsed_slots == slots
    assert parsed_demands == demands  # instants compare equal across offsets
    by_slot = {s.id: s for s in slots}
    by_demand = {d.id: d for d in demands}
    for row in result["assignments"]:
        assert set(row) == {"demand", "slot"}
        assert feasible(by_slot[row["slot"]], by_demand[row["demand"]])
    for slot_id, used in Counter(r["slot"] for r in result["assignments"]).items():
        assert used <= by_slot[slot_id].capacity
    seen = [r["demand"] for r in result["assignments"]] + [u["demand"] for u in result["unmatched"]]
    assert sorted(seen) == sorted(by_demand)
    assert result["assignments"] and result["unmatched"]
    offered = [a for u in result["unmatched"] for a in u["alternatives"]]
    assert offered and all(a["relaxed"] and a["slot"] in by_slot for a in offered)
    assert isinstance(result["seconds"], float)


def test_times_need_an_offset(tmp_path):
    source = tmp_path / "in.json"
    source.write_text(
        json.dumps(
            {
                "slots": [],
                "demands": [
                    {
                        "id": "d",
                        "service_code": "A",
                        "modes": ["clinic"],
                        "windows": [{"start": "2026-12-01T08:00", "end": "2026-12-01T09:00"}],
                        "provider_sex": None,
                        "location": None,
                        "tier": "routine",
                    }
                ],
            }
        )
    )
    with pytest.raises(CommandError, match="offset"):
        call_command("match-file", str(source), str(tmp_path / "out.json"))
    assert not (tmp_path / "out.json").exists()
