"""Analyst reports computed in SQL: costs grouped as asked, licence decisions, the field
report (fill, confidence and review rates per field) and the dashboard's series.

The cost and licence reports start from ``documents`` (so blocked documents, which have no ledger rows,
still appear with cost 0) joined to their usage-ledger rows. A ledger row counts in the
month it was recorded (UTC); a document without rows in the month it was received.
Money sums are exact on both databases (see ``storage.repository.dialect.usd_sum``).

The cost report reads ``cost_rollups`` (migration 0008: the same join, summed by triggers
as rows are written) whenever they can answer exactly, and scans otherwise; the field
report reads ``field_rollups`` and ``extraction_counts``, which the writers of
extractions keep in step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.errors import ConfigurationError
from storage.repository.dialect import dialect_name, usd_sum, usd_value
from storage.tables import (
    CostRollup,
    Document,
    Extraction,
    ExtractionCount,
    ExtractionField,
    FieldRollup,
    Tenant,
    UsageLedgerEntry,
    UtcDateTime,
)

COST_GROUPS = ("tenant", "month", "model", "tier", "status")

# Input tokens as billed (models.pricing.billable_tokens): reported prompt tokens, else
# reported image tokens, else 0.
_billed_input = sa.func.coalesce(UsageLedgerEntry.prompt_tokens, UsageLedgerEntry.image_tokens, 0)


def _month(session: Session, when: Any) -> Any:
    if dialect_name(session) == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", when), "YYYY-MM")
    return sa.func.strftime("%Y-%m", when)  # stored as UTC text without offset


def _window(when: Any, since: dt.datetime | None, until: dt.datetime | None) -> list[Any]:
    conditions = []
    if since is not None:
        conditions.append(when >= since)
    if until is not None:
        conditions.append(when < until)
    return conditions


def _check_groups(by: Sequence[str]) -> None:
    unknown = [g for g in by if g not in COST_GROUPS]
    if unknown:
        raise ConfigurationError(
            f"cannot group costs by {', '.join(unknown)}; choose from {', '.join(COST_GROUPS)}"
        )


def _month_start(when: dt.datetime | None) -> bool:
    if when is None:
        return True
    utc = when.astimezone(dt.UTC)
    return utc == utc.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def cost_report(
    session: Session,
    *,
    by: Sequence[str],
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Costs grouped by ``by`` (any of tenant, month, model, tier, status), in [since, until).

    Each row: the group values, ``documents``, ``calls``, ``failed_calls``,
    ``input_tokens`` and ``output_tokens`` (as billed: reported prompt tokens, else image
    tokens; completion tokens) and ``cost_usd`` (Decimal, exact sum of ledger rows).

    Read from ``cost_rollups`` (kept by triggers, migration 0008) when the rollups can
    answer exactly: no ``status`` group, and a window (if any) on whole UTC months with
    ``month`` among the groups (a document's rows in two months count it once per month).
    Otherwise, with the same numbers, from the ledger itself (:func:`cost_report_from_ledger`).
    """
    _check_groups(by)
    windowed = since is not None or until is not None
    if (
        "status" in by
        or (windowed and "month" not in by)
        or not (_month_start(since) and _month_start(until))
    ):
        return cost_report_from_ledger(session, by=by, since=since, until=until)
    return _cost_report_from_rollups(session, by=by, since=since, until=until)


def _cost_report_from_rollups(
    session: Session,
    *,
    by: Sequence[str],
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> list[dict[str, Any]]:
    r = CostRollup
    wanted = list(dict.fromkeys(by))
    # The grain that keeps exactly the month/model split asked for: documents are counted
    # distinct per group at each grain. Tenant and tier are the document's own, so summing
    # over them never counts a document twice.
    grain = (1 if "month" in wanted else 0) | (2 if "model" in wanted else 0)
    columns: dict[str, Any] = {
        "tenant": Tenant.name,
        "month": r.month,
        "model": sa.func.nullif(r.model, ""),
        "tier": r.licence_tier,
    }
    groups = [columns[g].label(g) for g in wanted]
    window: list[Any] = []
    if since is not None:
        window.append(r.month >= since.astimezone(dt.UTC).strftime("%Y-%m"))
    if until is not None:
        window.append(r.month < until.astimezone(dt.UTC).strftime("%Y-%m"))
    measures = ("documents", "calls", "failed_calls", "input_tokens", "output_tokens", "cost_units")
    statement = (
        sa.select(*groups, *(sa.func.sum(getattr(r, m)).label(m) for m in measures))
        .select_from(r)
        .join(Tenant, Tenant.id == r.tenant_id)
        .where(r.grain == grain, r.documents > 0, *window)
    )
    if groups:
        statement = statement.group_by(*groups).order_by(*groups)
    rows = []
    for row in session.execute(statement).mappings():
        # Without groups there is always one row, zeros on an empty database, as in SQL.
        item = {g: row[g] for g in wanted}
        for key in measures[:-1]:
            item[key] = int(row[key] or 0)
        item["cost_usd"] = Decimal(int(row["cost_units"] or 0)).scaleb(-8)
        rows.append(item)
    return rows


def cost_report_from_ledger(
    session: Session,
    *,
    by: Sequence[str],
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """:func:`cost_report` computed from ``documents`` and ``usage_ledger`` directly (a scan)."""
    _check_groups(by)
    when = sa.func.coalesce(UsageLedgerEntry.created_at, Document.created_at, type_=UtcDateTime())
    columns = {
        "tenant": Tenant.name,
        "month": _month(session, when),
        "model": sa.func.coalesce(UsageLedgerEntry.model, Document.model),
        "tier": Document.licence_tier,
        "status": Document.status,
    }
    groups = [columns[g].label(g) for g in dict.fromkeys(by)]
    statement = (
        sa.select(
            *groups,
            sa.func.count(sa.distinct(Document.id)).label("documents"),
            sa.func.count(UsageLedgerEntry.id).label("calls"),
            sa.func.coalesce(
                sa.func.sum(sa.case((UsageLedgerEntry.error_code.is_not(None), 1), else_=0)), 0
            ).label("failed_calls"),
            sa.func.coalesce(sa.func.sum(_billed_input), 0).label("input_tokens"),
            sa.func.coalesce(sa.func.sum(sa.func.coalesce(UsageLedgerEntry.completion_tokens, 0)), 0).label(
                "output_tokens"
            ),
            usd_sum(session, UsageLedgerEntry.cost_usd).label("cost_usd"),
        )
        .select_from(Document)
        .join(Tenant, Tenant.id == Document.tenant_id)
        .outerjoin(UsageLedgerEntry, UsageLedgerEntry.document_id == Document.id)
        .where(*_window(when, since, until))
    )
    if groups:
        statement = statement.group_by(*groups).order_by(*groups)
    rows = []
    for row in session.execute(statement).mappings():
        item = dict(row)
        if "status" in item and item["status"] is not None:
            item["status"] = str(item["status"])
        item["cost_usd"] = usd_value(session, item["cost_usd"])
        for key in ("documents", "calls", "failed_calls", "input_tokens", "output_tokens"):
            item[key] = int(item[key] or 0)
        rows.append(item)
    return rows


def licence_report(
    session: Session,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Documents per tier, model licence, model and policy outcome, and why blocked ones were.

    ``{"decisions": [{tier, model_licence, model, decision, documents, cost_usd}],
    "blocked": [{tier, reason, documents}]}``; documents received in [since, until).
    """
    window = _window(Document.created_at, since, until)
    ledger_cost = (
        sa.select(
            UsageLedgerEntry.document_id.label("document_id"),
            usd_sum(session, UsageLedgerEntry.cost_usd).label("cost"),
        )
        .group_by(UsageLedgerEntry.document_id)
        .subquery()
    )
    decision = sa.func.coalesce(Document.policy_decision, "undecided")
    keys = (
        Document.licence_tier.label("tier"),
        sa.func.coalesce(Document.model_licence, "-").label("model_licence"),
        sa.func.coalesce(Document.model, "-").label("model"),
        decision.label("decision"),
    )
    decisions = session.execute(
        sa.select(
            *keys,
            sa.func.count().label("documents"),
            sa.func.coalesce(sa.func.sum(ledger_cost.c.cost), 0).label("cost_usd"),
        )
        .select_from(Document)
        .outerjoin(ledger_cost, ledger_cost.c.document_id == Document.id)
        .where(*window)
        .group_by(*keys)
        .order_by(*keys)
    ).mappings()
    reason = sa.func.coalesce(Document.policy_reason, Document.reason, "-")
    blocked = session.execute(
        sa.select(
            Document.licence_tier.label("tier"),
            reason.label("reason"),
            sa.func.count().label("documents"),
        )
        .where(Document.policy_decision == "blocked", *window)
        .group_by(Document.licence_tier, reason)
        .order_by(sa.func.count().desc(), Document.licence_tier, reason)
    ).mappings()
    return {
        "decisions": [
            {**dict(r), "documents": int(r["documents"]), "cost_usd": usd_value(session, r["cost_usd"])}
            for r in decisions
        ],
        "blocked": [{**dict(r), "documents": int(r["documents"])} for r in blocked],
    }


def field_report(
    session: Session, *, tenant_scope: int | None, schema: str | None = None
) -> list[dict[str, Any]]:
    """Per schema and field: documents, fill rate, mean confidence, review rate.

    ``documents`` counts current extractions of the schema; ``filled`` the documents with a
    value for the field; ``flagged`` those where the field failed review (flags on it, a
    review flag naming it, or missing). Sorted by review rate, highest first.

    Read from ``field_rollups`` and ``extraction_counts`` (migration 0008), which the
    writers of extractions keep in step; :func:`field_report_from_fields` computes the same
    from ``extraction_fields`` directly.
    """
    r, c = FieldRollup, ExtractionCount
    scope = [c.tenant_id == tenant_scope] if tenant_scope is not None else []
    totals_statement = (
        sa.select(c.schema_name, sa.func.sum(c.documents)).where(*scope).group_by(c.schema_name)
    )
    if schema is not None:
        totals_statement = totals_statement.where(c.schema_name == schema)
    totals = {name: int(count) for name, count in session.execute(totals_statement)}
    statement = (
        sa.select(
            r.schema_name,
            r.field,
            sa.func.sum(r.filled).label("filled"),
            sa.func.sum(r.flagged).label("flagged"),
            sa.func.sum(r.confidence_count).label("confidence_count"),
            sa.func.sum(r.confidence_units).label("confidence_units"),
            sa.func.sum(r.value_rows).label("values"),
        )
        .where(r.value_rows > 0, *([r.tenant_id == tenant_scope] if tenant_scope is not None else []))
        .group_by(r.schema_name, r.field)
    )
    if schema is not None:
        statement = statement.where(r.schema_name == schema)
    rows = []
    for item in session.execute(statement).mappings():
        count = int(item["confidence_count"])
        mean = int(item["confidence_units"]) / count / 1e9 if count else None
        rows.append(_field_row(item, totals, mean))
    rows.sort(key=lambda r: (-r["review_rate"], r["schema_name"], r["field"]))
    return rows


def _field_row(item: Any, totals: dict[str, int], mean: float | None) -> dict[str, Any]:
    documents = int(totals.get(item["schema_name"], 0))
    return {
        "schema_name": item["schema_name"],
        "field": item["field"],
        "documents": documents,
        "values": int(item["values"]),
        "filled": int(item["filled"]),
        "flagged": int(item["flagged"]),
        "fill_rate": int(item["filled"]) / documents if documents else 0.0,
        "review_rate": int(item["flagged"]) / documents if documents else 0.0,
        "mean_confidence": None if mean is None else round(float(mean), 6),
    }


def field_report_from_fields(
    session: Session, *, tenant_scope: int | None, schema: str | None = None
) -> list[dict[str, Any]]:
    """:func:`field_report` computed from ``extractions`` and ``extraction_fields`` (a scan)."""
    f = ExtractionField
    scope = [Document.tenant_id == tenant_scope] if tenant_scope is not None else []
    totals_statement = (
        sa.select(Extraction.schema_name, sa.func.count().label("documents"))
        .join(Document, Document.id == Extraction.document_id)
        .where(Extraction.is_current.is_(True), *scope)
        .group_by(Extraction.schema_name)
    )
    if schema is not None:
        totals_statement = totals_statement.where(Extraction.schema_name == schema)
    totals = {name: int(count) for name, count in session.execute(totals_statement)}
    path = sa.case((f.table_name.is_(None), f.name), else_=f.table_name + "." + f.name)
    statement = (
        sa.select(
            f.schema_name,
            path.label("field"),
            sa.func.count(sa.distinct(sa.case((f.value_text.is_not(None), f.document_id)))).label("filled"),
            sa.func.count(sa.distinct(sa.case((f.flagged.is_(True), f.document_id)))).label("flagged"),
            sa.func.avg(f.confidence).label("mean_confidence"),
            sa.func.count().label("values"),
        )
        .where(*([f.tenant_id == tenant_scope] if tenant_scope is not None else []))
        .group_by(f.schema_name, path)
    )
    if schema is not None:
        statement = statement.where(f.schema_name == schema)
    rows = [
        _field_row(item, totals, item["mean_confidence"]) for item in session.execute(statement).mappings()
    ]
    rows.sort(key=lambda r: (-r["review_rate"], r["schema_name"], r["field"]))
    return rows


def dashboard_series(session: Session, *, tenant_scope: int | None) -> dict[str, list[dict[str, Any]]]:
    """What the dashboard draws: documents per day and status, cost per day, tenant and
    model (from ``folio_costs_daily_v``, exact units), and documents and cost per tier."""
    day = (
        sa.func.to_char(sa.func.timezone("UTC", Document.created_at), "YYYY-MM-DD")
        if dialect_name(session) == "postgresql"
        else sa.func.strftime("%Y-%m-%d", Document.created_at)
    )
    scope = [Document.tenant_id == tenant_scope] if tenant_scope is not None else []
    by_status = session.execute(
        sa.select(day.label("day"), Document.status, sa.func.count().label("documents"))
        .where(*scope)
        .group_by(day, Document.status)
        .order_by(day, Document.status)
    ).all()
    view = sa.table(
        "folio_costs_daily_v",
        *(
            sa.column(c)
            for c in ("day", "tenant_id", "tenant", "model", "licence_tier", "documents", "cost_units")
        ),
    )
    view_scope = [view.c.tenant_id == tenant_scope] if tenant_scope is not None else []
    # A literal, not a bound parameter: PostgreSQL matches the GROUP BY expression to the
    # selected one only when both are the same text ($1 and $2 are not).
    model = sa.func.coalesce(view.c.model, sa.literal_column("'-'"))
    costs = session.execute(
        sa.select(view.c.day, view.c.tenant, model, sa.func.sum(view.c.cost_units))
        .where(*view_scope)
        .group_by(view.c.day, view.c.tenant, model)
        .order_by(view.c.day)
    ).all()
    tiers = session.execute(
        sa.select(
            Document.licence_tier,
            sa.func.count(),
            sa.func.sum(sa.cast(sa.func.round(Document.cost_usd * 100000000), sa.BigInteger)),
        )
        .where(*scope)
        .group_by(Document.licence_tier)
        .order_by(Document.licence_tier)
    ).all()
    return {
        "status_by_day": [{"day": d, "status": str(s), "documents": int(n)} for d, s, n in by_status],
        "cost_by_day": [
            {"day": d, "series": f"{t} / {m}", "tenant": t, "cost_usd": Decimal(int(u or 0)).scaleb(-8)}
            for d, t, m, u in costs
        ],
        "tiers": [
            {"tier": t, "documents": int(n), "cost_usd": Decimal(int(u or 0)).scaleb(-8)} for t, n, u in tiers
        ],
    }
