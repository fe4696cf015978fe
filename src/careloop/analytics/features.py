"""From the database to the DataFrames the analytics algorithms take (``algorithms/``).

Each builder reads with a few ``values_list`` queries (no query per resident) and shapes the
rows with pandas; each returns the frame and the facts of the rows it read (count, highest id
and time), which ``AnalyticsRun.snapshot`` keeps so a result can be traced to its data.

- ``resident_features(community=None, *, today=None)``: one row per resident (index: the
  resident's database id) with ``age`` (completed years), ``sex``, ``occupation`` ("unknown"
  when blank), ``living_alone``, ``disability`` (any), one boolean column per condition tag
  of the ICD-10 table with an active condition (``htn`` for hypertension, ``dm`` for
  diabetes, the tag code otherwise: ``chd``, ``stroke`` …), the lifestyle tags ``smoker``,
  ``short_sleep``, ``sedentary``, ``steps`` (mean daily steps over the last 14 days with a
  wristband reading, NaN without one; a day counts its largest reading, as ``codes``
  says) and ``children_under_6`` (for adults: children under 6 in the same household).
- ``transactions(community=None, *, since)``: one sparse boolean row per resident with items
  ``cond:<tag>`` (active conditions), ``tag:<code>`` (other profile tags) and
  ``svc:<service code>`` (services demanded since ``since``), for association rules.
- ``weekly_demand_counts(community=None, *, weeks=156, service=None, today=None)``: demands
  per complete week (Monday-dated, Asia/Shanghai) × service code, from the week of the first
  demand in scope (at most ``weeks`` weeks back) to the last complete week; zeros filled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.db.models import Count, Max, QuerySet
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone
from scipy import sparse

from careloop.catalogue.models import Service
from careloop.core import clock
from careloop.core.models import Community
from careloop.demands.models import Demand
from careloop.observations import codes
from careloop.observations.models import Observation
from careloop.residents.models import ConditionStatus, Resident, ResidentCondition, ResidentTag

# Condition tags that get a short column name (the segmentation's feature labels use them).
SHORT_NAMES = {"hypertension": "htn", "diabetes": "dm"}
LIFESTYLE_TAGS = ("smoker", "short_sleep", "sedentary")
STEP_DAYS = 14
PRESCHOOL_BELOW = 6
ADULT_AGE = 18


@dataclass
class Read:
    """A frame and the facts of the rows it came from (for the run's data snapshot)."""

    frame: pd.DataFrame
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)


def _tz() -> Any:
    return timezone.get_default_timezone()


def _iso(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _facts(
    frame: pd.DataFrame, *, id_column: str = "id", time_column: str | None = None
) -> dict[str, Any]:
    facts: dict[str, Any] = {"rows": len(frame)}
    facts["max_id"] = int(frame[id_column].max()) if len(frame) else None
    if time_column is not None:
        facts[f"max_{time_column}"] = _iso(frame[time_column].max()) if len(frame) else None
    return facts


def _residents(community: Community | None) -> QuerySet[Resident]:
    residents = Resident.objects.order_by()
    return residents.filter(community=community) if community is not None else residents


# ---- residents ------------------------------------------------------------------------------


def resident_features(community: Community | None = None, *, today: date | None = None) -> Read:
    """The resident frame described in the module docstring."""
    today = today or clock.today()
    people = pd.DataFrame.from_records(
        list(
            _residents(community).values_list(
                "id", "birth_date", "sex", "occupation", "living_alone", "disability",
                "household_id", "updated_at",
            )
        ),
        columns=["id", "birth_date", "sex", "occupation", "living_alone", "disability",
                 "household_id", "updated_at"],
    )  # fmt: skip
    sources = {"residents": _facts(people, time_column="updated_at")}
    frame = pd.DataFrame(index=pd.Index(people["id"].astype("int64"), name="resident_id"))
    birth = pd.to_datetime(people["birth_date"])
    before_birthday = (birth.dt.month > today.month) | (
        (birth.dt.month == today.month) & (birth.dt.day > today.day)
    )
    frame["age"] = (today.year - birth.dt.year - before_birthday.astype(int)).to_numpy()
    frame["sex"] = pd.Categorical(people["sex"].to_numpy())
    occupation = people["occupation"].fillna("").str.strip().replace("", "unknown")
    frame["occupation"] = pd.Categorical(occupation.to_numpy())
    frame["living_alone"] = people["living_alone"].astype(bool).to_numpy()
    frame["disability"] = (people["disability"].fillna("") != "").to_numpy()

    conditions = pd.DataFrame.from_records(
        list(
            ResidentCondition.objects.filter(
                status=ConditionStatus.ACTIVE, resident__in=_residents(community).values("pk")
            )
            .order_by()
            .values_list("id", "resident_id", "condition__tag", "condition__code", "updated_at")
        ),
        columns=["id", "resident_id", "tag", "code", "updated_at"],
    )
    sources["conditions"] = _facts(conditions, time_column="updated_at")
    named = conditions["tag"].fillna("")
    conditions["column"] = named.where(named != "", conditions["code"]).replace(SHORT_NAMES)
    for column in sorted(set(conditions["column"])):
        holders = conditions.loc[conditions["column"] == column, "resident_id"]
        frame[column] = frame.index.isin(holders)
    for column in ("htn", "dm"):
        if column not in frame:
            frame[column] = False

    tags = pd.DataFrame.from_records(
        list(
            ResidentTag.objects.filter(
                code__in=LIFESTYLE_TAGS, resident__in=_residents(community).values("pk")
            )
            .order_by()
            .values_list("id", "resident_id", "code")
        ),
        columns=["id", "resident_id", "code"],
    )
    sources["lifestyle_tags"] = _facts(tags)
    for code in LIFESTYLE_TAGS:
        frame[code] = frame.index.isin(tags.loc[tags["code"] == code, "resident_id"])

    steps, sources["steps"] = _mean_daily_steps(community, today)
    frame["steps"] = steps.reindex(frame.index).astype(float)

    ages = pd.Series(frame["age"].to_numpy(), index=people.index)
    under_six = people.loc[ages < PRESCHOOL_BELOW].groupby("household_id").size()
    children = people["household_id"].map(under_six).fillna(0).astype(int)
    frame["children_under_6"] = np.where(ages >= ADULT_AGE, children, 0)
    return Read(frame, sources)


def _mean_daily_steps(community: Community | None, today: date) -> tuple[pd.Series, dict[str, Any]]:
    """Mean over days of each day's largest steps reading, for the last ``STEP_DAYS`` days."""
    since = datetime.combine(today - timedelta(days=STEP_DAYS), time.min, tzinfo=_tz())
    readings = Observation.objects.filter(code=codes.STEPS, effective_at__gte=since).order_by()
    if community is not None:
        readings = readings.filter(resident__community=community)
    daily = pd.DataFrame.from_records(
        list(
            readings.annotate(day=TruncDate("effective_at", tzinfo=_tz()))
            .values("resident_id", "day")
            .annotate(steps=Max("value"), last_id=Max("id"), n=Count("id"))
            .values_list("resident_id", "steps", "last_id", "n")
        ),
        columns=["resident_id", "steps", "id", "n"],
    )
    facts = {
        "rows": int(daily["n"].sum()),
        "max_id": int(daily["id"].max()) if len(daily) else None,
        "since": since.isoformat(),
    }
    if daily.empty:
        return pd.Series(dtype=float), facts
    steps = daily["steps"].astype(float).groupby(daily["resident_id"]).mean()
    return steps, facts


# ---- transactions -----------------------------------------------------------------------------


def transactions(community: Community | None = None, *, since: datetime) -> Read:
    """The one-hot transactions described in the module docstring (index: resident id)."""
    ids = pd.Index(
        sorted(_residents(community).values_list("id", flat=True)), dtype="int64",
        name="resident_id",
    )  # fmt: skip
    conditions = pd.DataFrame.from_records(
        list(
            ResidentCondition.objects.filter(
                status=ConditionStatus.ACTIVE, resident__in=_residents(community).values("pk")
            )
            .order_by()
            .values_list("id", "resident_id", "condition__tag", "condition__code")
        ),
        columns=["id", "resident_id", "tag", "code"],
    )
    condition_tags = set(conditions["tag"].dropna())
    named = conditions["tag"].fillna("")
    conditions["item"] = "cond:" + named.where(named != "", conditions["code"])
    tags = pd.DataFrame.from_records(
        list(
            ResidentTag.objects.filter(resident__in=_residents(community).values("pk"))
            .exclude(code__in=condition_tags)
            .order_by()
            .values_list("id", "resident_id", "code")
        ),
        columns=["id", "resident_id", "code"],
    )
    tags["item"] = "tag:" + tags["code"]
    demands = Demand.objects.filter(service__isnull=False, created_at__gte=since).order_by()
    if community is not None:
        demands = demands.filter(resident__community=community)
    demanded = pd.DataFrame.from_records(
        list(demands.values_list("id", "resident_id", "service__code", "created_at")),
        columns=["id", "resident_id", "code", "created_at"],
    )
    demanded["item"] = "svc:" + demanded["code"]
    sources = {
        "residents": {"rows": len(ids), "max_id": int(ids.max()) if len(ids) else None},
        "conditions": _facts(conditions),
        "tags": _facts(tags),
        "demands": {**_facts(demanded, time_column="created_at"), "since": since.isoformat()},
    }
    pairs = pd.concat(
        [frame[["resident_id", "item"]] for frame in (conditions, tags, demanded)],
        ignore_index=True,
    )
    pairs = pairs[pairs["resident_id"].isin(ids)]
    items, columns = pd.factorize(pairs["item"], sort=True)
    rows = ids.get_indexer(pd.Index(pairs["resident_id"]))
    matrix = sparse.csr_matrix(
        (np.ones(len(rows), dtype=bool), (rows, items)), shape=(len(ids), len(columns))
    )
    matrix.sum_duplicates()
    # pandas-stubs has no type for the class-level ``DataFrame.sparse`` accessor.
    frame = pd.DataFrame.sparse.from_spmatrix(matrix.astype(bool), index=ids,  # type: ignore[attr-defined]
                                               columns=[str(c) for c in columns])  # fmt: skip
    return Read(frame, sources)


# ---- weekly demand counts ---------------------------------------------------------------------


def this_monday(today: date | None = None) -> date:
    today = today or clock.today()
    return today - timedelta(days=today.weekday())


def weekly_demand_counts(
    community: Community | None = None,
    *,
    weeks: int = 156,
    service: Service | None = None,
    today: date | None = None,
) -> Read:
    """The weeks × services frame described in the module docstring; empty (no rows, no
    columns) when there is no demand with a service in the period."""
    end_day = this_monday(today)
    start_day = end_day - timedelta(weeks=weeks)
    end = datetime.combine(end_day, time.min, tzinfo=_tz())
    start = datetime.combine(start_day, time.min, tzinfo=_tz())
    demands = Demand.objects.filter(
        service__isnull=False, created_at__gte=start, created_at__lt=end
    ).order_by()
    if community is not None:
        demands = demands.filter(resident__community=community)
    if service is not None:
        demands = demands.filter(service=service)
    counts = pd.DataFrame.from_records(
        list(
            demands.annotate(week=TruncWeek("created_at", tzinfo=_tz()))
            .values("week", "service__code")
            .annotate(n=Count("id"), last_id=Max("id"), last_at=Max("created_at"))
            .values_list("week", "service__code", "n", "last_id", "last_at")
        ),
        columns=["week", "service", "n", "id", "created_at"],
    )
    sources = {
        "demands": {
            "rows": int(counts["n"].sum()),
            "max_id": int(counts["id"].max()) if len(counts) else None,
            "max_created_at": _iso(counts["created_at"].max()) if len(counts) else None,
            "from": start.isoformat(),
            "until": end.isoformat(),
        }
    }
    if counts.empty:
        return Read(pd.DataFrame(index=pd.DatetimeIndex([], name="week")), sources)
    counts["week"] = [_week_start(value) for value in counts["week"]]
    table = counts.pivot_table(index="week", columns="service", values="n", aggfunc="sum")
    first = min(table.index)
    index = pd.date_range(pd.Timestamp(first), pd.Timestamp(end_day) - pd.Timedelta(weeks=1),
                          freq="W-MON", name="week")  # fmt: skip
    table.index = pd.DatetimeIndex(table.index)
    table = table.reindex(index, fill_value=0).fillna(0).astype("int64")
    table.columns = [str(column) for column in table.columns]
    return Read(table.sort_index(axis=1), sources)


def _week_start(value: datetime | date) -> date:
    """A TruncWeek result (aware datetime in local time, or a date) as the Monday's date."""
    if isinstance(value, datetime):
        value = timezone.localtime(value, _tz()) if timezone.is_aware(value) else value
        return value.date()
    return value
