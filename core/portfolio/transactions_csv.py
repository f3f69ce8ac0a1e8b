"""Transactions as CSV: `date,ticker,type,quantity,price,fee,amount` (extra columns ignored;
`amount` optional: the money of a deposit, withdrawal, fee or total dividend; no ticker for cash).

A broker's export with other headers is mapped onto these with a column mapping
`{their header: our column}`, which can be saved per user under a name and reused.
Parsing is pure; a bad file raises InvalidInputError whose `details` list every bad row
as {"row", "column", "reason"} (row = the file's line number; the header is row 1).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.auth.permissions import ensure_can_write
from core.db.tables import ImportMapping, Transaction, User
from core.errors import InvalidInputError, NotFoundError
from core.market.providers.csv_upload import MAX_REPORTED_PROBLEMS, read_csv_text
from core.portfolio.schemas import TransactionCreate

COLUMNS = ["date", "ticker", "type", "quantity", "price", "fee", "amount"]
REQUIRED = ["date", "ticker", "type"]
TYPE_ALIASES = {"bought": "buy", "purchase": "buy", "sold": "sell", "div": "dividend", "commission": "fee"}


@dataclass(frozen=True)
class ParsedRow:
    row: int
    data: TransactionCreate


def _normalise_mapping(mapping: dict[str, str] | None) -> dict[str, str]:
    if mapping is not None and not isinstance(mapping, dict):
        raise InvalidInputError('the mapping must be a JSON object: {"their header": "our column", …}')
    mapping = {str(k).strip().lower(): str(v).strip().lower() for k, v in (mapping or {}).items()}
    bad = sorted(v for v in mapping.values() if v not in COLUMNS)
    if bad:
        raise InvalidInputError(f"the mapping targets unknown columns {bad}; use {', '.join(COLUMNS)}")
    return mapping


def parse_transactions_csv(content: bytes | str, *, mapping: dict[str, str] | None = None) -> list[ParsedRow]:
    """Validated rows, or InvalidInputError listing every bad row (nothing is half-parsed)."""
    parsed, problems = collect_transaction_rows(content, mapping=mapping)
    if problems:
        raise_problems(problems)
    return parsed


def raise_problems(problems: list[dict[str, object]]) -> None:
    problems = sorted(problems, key=lambda problem: problem["row"] or 0)
    raise InvalidInputError(
        f"{len(problems)} problem(s) in the transactions file; nothing was imported",
        details=problems[:MAX_REPORTED_PROBLEMS],
    )


def collect_transaction_rows(
    content: bytes | str, *, mapping: dict[str, str] | None = None
) -> tuple[list[ParsedRow], list[dict[str, object]]]:
    """The rows that parse, and a problem per bad row; a file without the columns raises."""
    frame = read_csv_text(content).rename(columns=_normalise_mapping(mapping))
    missing = [column for column in REQUIRED if column not in frame.columns]
    if missing:
        details = [{"row": 1, "column": c, "reason": "required column is missing"} for c in missing]
        raise InvalidInputError(f"the file lacks columns: {', '.join(missing)}", details=details)
    if frame.empty:
        raise InvalidInputError(
            "the file has a header but no rows", details=[{"row": 2, "column": "", "reason": "no rows"}]
        )
    frame = frame.loc[:, ~frame.columns.duplicated()]
    problems: list[dict[str, object]] = []
    parsed: list[ParsedRow] = []
    for index, record in enumerate(frame.to_dict("records")):
        row = index + 2
        values = {column: record.get(column, "") for column in COLUMNS if record.get(column, "") != ""}
        if "type" in values:
            kind = values["type"].lower()
            values["type"] = TYPE_ALIASES.get(kind, kind)
        for column in ("quantity", "price", "fee", "amount"):
            if column in values:
                values[column] = values[column].replace(",", "").replace("$", "")
        try:
            parsed.append(ParsedRow(row=row, data=TransactionCreate(**values)))
        except ValidationError as exc:
            for error in exc.errors():
                column = str(error["loc"][0]) if error["loc"] else "row"
                problems.append({"row": row, "column": column, "reason": error["msg"].removeprefix("Value error, ")})
    return parsed, problems


def export_csv(entries: list[Transaction]) -> str:
    """The entries as CSV with the import columns, in replay order (re-importable as is)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for entry in entries:
        writer.writerow(
            [
                entry.date.isoformat(),
                entry.ticker or "",
                entry.type.value,
                f"{entry.quantity:g}",
                repr(entry.price),
                repr(entry.fee),
                repr(entry.amount or 0.0),
            ]
        )
    return buffer.getvalue()


# --- saved column mappings ------------------------------------------------------------------


def save_import_mapping(session: Session, *, owner: User, name: str, columns: dict[str, str]) -> ImportMapping:
    """Create or replace the owner's mapping called `name`."""
    ensure_can_write(owner)
    columns = _normalise_mapping(columns)
    mapping = session.scalar(
        select(ImportMapping).where(ImportMapping.owner_id == owner.id, ImportMapping.name == name)
    )
    if mapping is None:
        mapping = ImportMapping(owner_id=owner.id, name=name, columns=columns)
        session.add(mapping)
    else:
        mapping.columns = columns
    session.flush()
    return mapping


def get_import_mapping(session: Session, *, owner: User, name: str) -> dict[str, str]:
    mapping = session.scalar(
        select(ImportMapping).where(ImportMapping.owner_id == owner.id, ImportMapping.name == name)
    )
    if mapping is None:
        raise NotFoundError(f"no saved column mapping called {name!r}")
    return dict(mapping.columns)


def list_import_mappings(session: Session, *, owner: User) -> dict[str, dict[str, str]]:
    rows = session.scalars(select(ImportMapping).where(ImportMapping.owner_id == owner.id).order_by(ImportMapping.name))
    return {row.name: dict(row.columns) for row in rows}
