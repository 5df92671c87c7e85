"""Exporting a card's lookalike audience: every company of it, as a CSV a CRM imports.

The audience is the card's `audience_expression` run through the `icp audience` compiler
(icp_assets.domain.audience), so the file holds exactly the companies the card's audience size
counts (while the registry is the one the card was built on). Rows are streamed from a
server-side cursor and written to a temporary file in the output's folder, renamed over the
output only once complete: a failure leaves no half-written file.

Spreadsheets run a cell that starts with = + - @ (or a tab or carriage return) as a formula, and
company names come from the public registry: such a cell is written with a leading apostrophe
(OWASP's advice against CSV injection), which spreadsheets show as text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from icp_assets.domain.audience import audience_from
from icp_assets.domain.csv_files import write_csv_atomically
from icp_assets.domain.intake import current_response_id

log = logging.getLogger(__name__)

# Column names CRM imports map on their own (HubSpot, Salesforce, Pipedrive, Zoho).
CSV_COLUMNS = (
    "Company Name",
    "UEN",
    "Industry Code",
    "Industry",
    "Status",
    "Street Address",
    "Postal Code",
    "Country",
    "Incorporation Date",
)
FETCH_ROWS = 2000  # rows per round trip of the server-side cursor

_COLUMNS_SQL = (
    "select e.entity_name, e.uen, e.primary_ssic_code,"
    " coalesce((select s.title from registry.ssic_codes s where s.code = e.primary_ssic_code),"
    "          e.primary_ssic_description) as industry,"
    " e.entity_status_description, e.block, e.street_name, e.level_no, e.unit_no, e.building_name,"
    " e.other_address_line1, e.other_address_line2, e.postal_code, e.registration_incorporation_date"
)


class ExportRefused(ValueError):
    """Bad input: an output path that cannot be one, or a card that cannot be exported."""


@dataclass(frozen=True)
class Exported:
    rows: int
    audience_size: int | None  # the card's audience size as published


def check_output(out: Path) -> None:
    """The output must be a file in an existing folder; refused before anything is read."""
    if out.is_dir():
        raise ExportRefused(f"{out} is a directory, not a file")
    if not out.parent.is_dir():
        raise ExportRefused(f"{out.parent} is not a directory")


def street_address(row: dict) -> str:
    """A Singapore address line: block, street, #level-unit, building; else the other address lines."""
    level, unit = (row[k].strip() if row[k] else "" for k in ("level_no", "unit_no"))
    unit_text = "#" + "-".join(p for p in (level, unit) if p) if level or unit else ""
    parts = [row["block"], row["street_name"], unit_text, row["building_name"]]
    if not any(p and p.strip() for p in (row["block"], row["street_name"], row["building_name"])):
        parts = [row["other_address_line1"], row["other_address_line2"]]
    return " ".join(p.strip() for p in parts if p and p.strip())


def csv_row(row: dict) -> list[str]:
    """One registry entity as a CSV row, in CSV_COLUMNS order."""
    incorporated = row["registration_incorporation_date"]
    cells = [
        row["entity_name"],
        row["uen"],
        row["primary_ssic_code"] or "",
        row["industry"] or "",
        row["entity_status_description"] or "",
        street_address(row),
        row["postal_code"] or "",
        "Singapore" if row["postal_code"] else "",
        incorporated.isoformat() if incorporated else "",
    ]
    return cells


def current_card(conn: psycopg.Connection, tenant_id: str, suggestion_id: str) -> dict:
    """One card of the tenant's current intake; another tenant's id is as unknown as a made-up one."""
    row = conn.execute(
        "select card from icp.icp_suggestions where tenant_id = %s and response_id = %s and suggestion_id = %s",
        (tenant_id, current_response_id(conn, tenant_id), suggestion_id),
    ).fetchone()
    if row is None:
        raise ExportRefused(f"tenant {tenant_id!r} has no current card {suggestion_id!r}")
    return row[0]


def export_audience(conn: psycopg.Connection, tenant_id: str, suggestion_id: str, out: Path) -> Exported:
    """Write every company of the current card's audience to ``out`` (CSV_COLUMNS), atomically."""
    check_output(out)
    card = current_card(conn, tenant_id, suggestion_id)
    expression = card.get("audience_expression")
    if not expression:
        raise ExportRefused(f"card {suggestion_id!r} has no audience: none of its customers matched the ACRA registry")
    base, params = audience_from(tenant_id, expression)

    def audience_rows():
        # A server-side cursor: FETCH_ROWS rows in memory at a time, whatever the audience's size.
        with conn.transaction(), conn.cursor(name="audience_export", row_factory=dict_row) as cur:
            cur.itersize = FETCH_ROWS
            cur.execute(f"{_COLUMNS_SQL} {base} order by e.uen", params)
            for row in cur:
                yield csv_row(row)

    rows = write_csv_atomically(out, CSV_COLUMNS, audience_rows())
    log.info(
        "tenant=%s stage=audience_export suggestion=%s rows=%d audience_size=%s",
        tenant_id,
        suggestion_id,
        rows,
        card.get("audience_size"),
    )
    return Exported(rows=rows, audience_size=card.get("audience_size"))
