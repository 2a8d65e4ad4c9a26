"""Synthetic claim documents: the demo file, benchmarks and tests build on these.

Every value is made up. ``make_claim`` gives a claim that passes every scrubbing rule
on the given date; ``DEFECTS`` lists mutations that break one rule each, with the rule
code the gateway must answer with.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

Doc = dict[str, Any]

_LAST = ["SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS"]
_FIRST = ["JAMES", "MARY", "ROBERT", "PATRICIA", "JOHN", "JENNIFER", "MICHAEL", "LINDA"]
_DIAGNOSES = ["J06.9", "R05.9", "I10", "E11.9", "M54.50", "Z00.00", "K21.9", "J02.9",
              "R51.9", "N39.0", "E78.5", "F41.1"]
_PROCEDURES = [("99213", "95.00"), ("99214", "140.00"), ("87880", "35.00"),
               ("36415", "12.00"), ("81002", "10.00"), ("G0008", "30.00"),
               ("90686", "28.50"), ("99396", "210.00")]
_BILLING_NPIS = ["1234567893", "1112223338"]
_RENDERING_NPIS = ["1045678905", "1987654328"]


def make_claim(i: int, *, lines: int = 3, today: dt.date, rng: random.Random | None = None
               ) -> Doc:
    """A valid claim document, different for each ``i`` and stable for the same ``i``."""
    r = rng or random.Random(i)  # noqa: S311 - made-up data, not security
    service = today - dt.timedelta(days=r.randint(3, 60))
    born = dt.date(r.randint(1940, 2015), r.randint(1, 12), r.randint(1, 28))
    diagnoses = r.sample(_DIAGNOSES, k=r.randint(1, 4))
    service_lines: list[Doc] = []
    for n in range(lines):
        code, charge = _PROCEDURES[(i + n) % len(_PROCEDURES)]
        service_lines.append({
            "procedure_code": code, "charge": charge, "units": 1,
            "diagnosis_pointers": [1 + (n % len(diagnoses))],
            "service_date": service.isoformat(),
            "line_item_control_number": f"L{i}-{n + 1}",
        })
    total = sum(Decimal(line["charge"]) for line in service_lines)
    doc: Doc = {
        "billing_provider": {
            "npi": _BILLING_NPIS[i % 2],
            "organization_name": "RIVERSIDE FAMILY MEDICINE",
            "tax_id": {"type": "EIN", "value": "591234567"},
            "taxonomy": "207Q00000X",
            "address": {"line1": "100 MAIN ST", "city": "NASHVILLE", "state": "TN",
                        "zip": "372031234"},
        },
        "subscriber": {
            "member_id": f"M{i:09d}", "last_name": r.choice(_LAST),
            "first_name": r.choice(_FIRST), "birth_date": born.isoformat(),
            "gender": r.choice("FM"),
            "address": {"line1": f"{10 + i % 900} ELM ST", "city": "NASHVILLE", "state": "TN",
                        "zip": "37205"},
            "group_number": f"GRP{i % 50:04d}", "claim_filing_indicator": "CI",
        },
        "payer": {"name": "EXAMPLE HEALTH PLAN", "payer_id": f"EXHP{i % 3 + 1}"},
        "patient_control_number": f"PCN{i:08d}",
        "total_charge": f"{total:.2f}",
        "place_of_service": "11",
        "diagnoses": diagnoses,
        "rendering_provider": {"npi": _RENDERING_NPIS[i % 2], "last_name": r.choice(_LAST),
                               "first_name": r.choice(_FIRST), "taxonomy": "207Q00000X"},
        "service_lines": service_lines,
    }
    if i % 5 == 0:  # some patients are dependants, not the subscriber
        doc["subscriber"]["relationship_to_patient"] = "19"
        doc["patient"] = {
            "last_name": doc["subscriber"]["last_name"], "first_name": r.choice(_FIRST),
            "birth_date": (today - dt.timedelta(days=r.randint(400, 5000))).isoformat(),
            "gender": r.choice("FM"), "address": doc["subscriber"]["address"],
            "relationship_to_subscriber": "19",
        }
        for line in doc["service_lines"]:
            line["service_date"] = max(service, dt.date.fromisoformat(
                doc["patient"]["birth_date"])).isoformat()
    return doc


def _set(path: str, value: Any) -> Callable[[Doc, dt.date], None]:
    def mutate(doc: Doc, _today: dt.date) -> None:
        *parents, leaf = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is _DELETE:
            del node[leaf]
        else:
            node[leaf] = value
    return mutate


def _future_service(doc: Doc, today: dt.date) -> None:
    doc["service_lines"][0]["service_date"] = (today + dt.timedelta(days=30)).isoformat()


def _total_off(doc: Doc, _today: dt.date) -> None:
    doc["total_charge"] = f"{Decimal(doc['total_charge']) + Decimal('10.00'):.2f}"


def _lengthen_control_number(doc: Doc, _today: dt.date) -> None:
    doc["patient_control_number"] = doc["patient_control_number"].ljust(25, "X")


_DELETE = object()

# name -> (mutation, rule code the gateway must report)
DEFECTS: dict[str, tuple[Callable[[Doc, dt.date], None], str]] = {
    "bad_billing_npi": (_set("billing_provider.npi", "1234567890"), "PRV-001"),
    "category_diagnosis": (_set("diagnoses", ["M54.5"]), "DX-001"),
    "total_mismatch": (_total_off, "CLM-001"),
    "future_service_date": (_future_service, "LINE-008"),
    "missing_member_id": (_set("subscriber.member_id", _DELETE), "FMT-001"),
    "pointer_out_of_range": (_set("service_lines.0.diagnosis_pointers", [9]), "DX-007"),
    "long_control_number": (_lengthen_control_number, "CLM-003"),
    "separator_in_name": (_set("subscriber.last_name", "O*BRIEN"), "ENV-010"),
    "five_digit_billing_zip": (_set("billing_provider.address.zip", "37203"), "PRV-013"),
    "unknown_place_of_service": (_set("place_of_service", "00"), "CLM-006"),
}


def make_defective(i: int, defect: str, *, lines: int = 3, today: dt.date) -> Doc:
    doc = copy.deepcopy(make_claim(i, lines=lines, today=today))
    mutate, _rule = DEFECTS[defect]
    mutate(doc, today)
    return doc


def mixed_batch(n: int, *, bad_every: int = 4, lines: int = 3, today: dt.date
                ) -> list[tuple[Doc, str | None]]:
    """``n`` claims, every ``bad_every``-th broken; each paired with its expected rule."""
    names = sorted(DEFECTS)
    batch: list[tuple[Doc, str | None]] = []
    for i in range(n):
        if bad_every and i % bad_every == bad_every - 1:
            defect = names[(i // bad_every) % len(names)]
            batch.append((make_defective(i, defect, lines=lines, today=today),
                          DEFECTS[defect][1]))
        else:
            batch.append((make_claim(i, lines=lines, today=today), None))
    return batch
