"""How commands print: one ``--format`` convention (``table`` for people, ``json`` for JSON
Lines, ``csv``), rows streamed as files end, and a file listing that fits the terminal.

The listing never wraps inside a cell: one line a file with fixed columns (a long name is
shortened with an ellipsis), and what does not fit a column (the key fields, the reason)
on indented lines below the row, wrapped between words.
"""

from __future__ import annotations

import csv
import json
import sys
import textwrap
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from core.settings import Settings
from models.outcome import FileOutcome


class OutputFormat(StrEnum):
    """What a command writes to stdout."""

    table = "table"  # for people; fits the terminal
    json = "json"  # JSON Lines: one object a line
    csv = "csv"  # a header, then one row a line


class ItemFormat(StrEnum):
    """What a command that prints one result writes to stdout."""

    table = "table"  # for people
    json = "json"  # one JSON object


Format = TypeVar("Format", OutputFormat, ItemFormat)


def chosen_format(fmt: Format, as_json: bool) -> Format:
    """``--format``, with the older ``--json`` flag (hidden now) as ``--format json``."""
    return type(fmt)("json") if as_json else fmt


def list_format(help_text: str = "table, json (JSON Lines) or csv.") -> Any:
    """The ``--format`` option of a command that prints rows."""
    return typer.Option(OutputFormat.table, "--format", "-f", help=help_text)


def item_format(help_text: str = "table, or json (one JSON object).") -> Any:
    """The ``--format`` option of a command that prints one result."""
    return typer.Option(ItemFormat.table, "--format", "-f", help=help_text)


def json_alias() -> Any:
    """The older ``--json`` flag, hidden: the same as ``--format json``."""
    return typer.Option(False, "--json", hidden=True, help="Same as --format json.")


def setting_default(section: str, name: str) -> Any:
    """The default value of a setting as the code defines it (for help texts)."""
    section_type = Settings.model_fields[section].annotation
    return section_type.model_fields[name].default  # type: ignore[union-attr]


def json_value(value: Any) -> Any:
    """JSON for what rows hold: exact Decimals as numbers, anything else as its text."""
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


class RowWriter:
    """Writes rows to ``stream`` as they come, in JSON Lines or CSV (header first)."""

    def __init__(
        self, fmt: OutputFormat, stream: TextIO | None = None, json_default: Any = json_value
    ) -> None:
        self.fmt = fmt
        self.stream = stream or sys.stdout
        self.json_default = json_default  # how values JSON has no type for are written
        self._csv: csv.DictWriter[str] | None = None

    def write(self, row: dict[str, Any]) -> None:
        """Write one row and flush it (a reader sees it at once)."""
        if self.fmt is OutputFormat.csv:
            flat = {k: _csv_cell(v, self.json_default) for k, v in row.items()}
            if self._csv is None:
                self._csv = csv.DictWriter(self.stream, fieldnames=list(flat), extrasaction="ignore")
                self._csv.writeheader()
            self._csv.writerow(flat)
        else:
            self.stream.write(json.dumps(row, default=self.json_default) + "\n")
        self.stream.flush()


def write_rows(fmt: OutputFormat, rows: Any, json_default: Any = json_value) -> None:
    """Each row of ``rows`` to stdout as JSON Lines or CSV."""
    writer = RowWriter(fmt, json_default=json_default)
    for row in rows:
        writer.write(row)


def write_item(item: Any, json_default: Any = json_value) -> None:
    """One result as one JSON object (indented: a person may read it too)."""
    sys.stdout.write(json.dumps(item, default=json_default, indent=2, ensure_ascii=False) + "\n")


def _csv_cell(value: Any, json_default: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, default=json_default)
    if isinstance(value, Decimal):  # exact, and never in exponent form ("1E-8")
        return format(value, "f")
    return "" if value is None else value


# The listing's columns after the file name: (title, width). At 80 columns the file name
# keeps 24 characters.
_COLUMNS = (("id", 8), ("status", 12), ("engine", 6), ("pages", 5), ("cost $", 10), ("dup", 3))
_GAP = "  "
_STATUS_STYLE = {
    "done": "green",
    "needs_review": "yellow",
    "partial": "yellow",
    "rejected": "red",
    "failed": "red",
    "blocked": "magenta",
    "skipped": "dim",
    "queued": "cyan",
}
_SHOWN_FIELDS = (
    "invoice_number",
    "invoice_date",
    "vendor_name",
    "merchant_name",
    "date",
    "total_amount",
    "currency",
)


def print_files(outcomes: list[FileOutcome], title: str, console: Console | None = None) -> None:
    """The files as a listing that fits ``console``'s width (see the module)."""
    out = console or Console(highlight=False)
    width = max(out.width, 60)
    name_width = width - sum(w for _, w in _COLUMNS) - len(_GAP) * len(_COLUMNS)
    out.print(escape(title), soft_wrap=True)
    header = _GAP.join([_cell("file", name_width), *(_cell(t, w) for t, w in _COLUMNS)])
    out.print(f"[bold]{escape(header.rstrip())}[/bold]", soft_wrap=True)
    for outcome in outcomes:
        cells = [
            _cell(Path(outcome.file).name, name_width),
            _cell((outcome.document_id or "-")[:8], 8),
            _cell(str(outcome.status), 12),
            _cell((outcome.document.engine if outcome.document else None) or "-", 6),
            _cell(str(outcome.pages or "-"), 5),
            _cell(f"{outcome.cost_usd:.6f}", 10),
            _cell("yes" if outcome.duplicate else "no", 3),
        ]
        style = _STATUS_STYLE.get(str(outcome.status), "white")
        cells[2] = f"[{style}]{escape(cells[2])}[/{style}]"
        line = _GAP.join(escape(c) if i != 2 else c for i, c in enumerate(cells))
        out.print(line.rstrip(), soft_wrap=True)
        for below in _below(outcome, width):
            out.print(escape(below), soft_wrap=True)


def _cell(text: str, width: int) -> str:
    """``text`` in ``width`` characters: padded, or cut with an ellipsis (never wrapped)."""
    return text.ljust(width) if len(text) <= width else text[: width - 1] + "…"


def _below(outcome: FileOutcome, width: int) -> list[str]:
    """The indented lines under a file's row: its key fields, then its reason."""
    wrap = textwrap.TextWrapper(
        width=width,
        initial_indent="  ",
        subsequent_indent="    ",
        break_on_hyphens=False,
        break_long_words=True,  # only a word longer than the whole line is cut
    )
    lines: list[str] = []
    fields = _key_fields(outcome)
    if fields:
        lines.extend(wrap.wrap(fields))
    if outcome.reason:
        lines.extend(wrap.wrap(f"reason: {' '.join(outcome.reason.split())}"))
    return lines


def _key_fields(outcome: FileOutcome) -> str:
    """The few fields a person recognises a document by, on one line."""
    extraction = outcome.document.extraction if outcome.document is not None else None
    if extraction is None:
        return ""
    found = extraction.fields
    shown = [f"{k}: {found[k].value}" for k in _SHOWN_FIELDS if k in found and found[k].value is not None]
    if extraction.tables.get("line_items"):
        shown.append(f"line items: {len(extraction.tables['line_items'])}")
    return "; ".join(shown)
