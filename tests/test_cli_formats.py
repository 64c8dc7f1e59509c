"""One output convention across `folio`: every command that prints a result takes
``--format`` with fixed choices (``table|json|csv`` for rows, ``table|json`` for one result),
the older ``--json`` is a hidden alias of ``--format json``, and no flag reads as if it took a
value (``--json <bool>``) in any command's help."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import typer.main
from typer.testing import CliRunner, Result

from cli import app as cli_app
from core.settings import Settings


def _commands(path: tuple[str, ...], command: Any) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        if not sub.hidden:
            yield from _commands((*path, name), sub)


def _every_command() -> list[tuple[tuple[str, ...], Any]]:
    return list(_commands((), typer.main.get_command(cli_app)))


def test_no_flag_is_shown_with_a_value_placeholder() -> None:
    commands = _every_command()
    assert len(commands) > 30  # the walk reached the nested groups
    for path, _command in commands:
        helped = CliRunner().invoke(cli_app, [*path, "-h"], env={"COLUMNS": "200"})
        assert helped.exit_code == 0, (path, helped.output)
        assert "<bool>" not in helped.output, (path, helped.output)


def test_every_json_flag_is_a_hidden_alias_of_a_format_choice() -> None:
    with_json = []
    for path, command in _every_command():
        options = {opt: param for param in command.params for opt in getattr(param, "opts", [])}
        if "--json" not in options:
            continue
        with_json.append(" ".join(path))
        assert options["--json"].hidden, path
        choices = [str(c) for c in options["--format"].type_descriptor.choices or ()]
        assert {"table", "json"} <= set(choices), (path, choices)
    expected = {"show", "review list", "review show", "vendor list", "tenant list", "report costs", "eval"}
    assert expected <= set(with_json)


def test_every_format_option_is_a_fixed_choice() -> None:
    formats = {}
    for path, command in _every_command():
        for param in command.params:
            if "--format" in getattr(param, "opts", []):
                formats[" ".join(path)] = [str(c) for c in param.type_descriptor.choices or ()]
    assert {"process", "batch", "query", "export", "show", "tenant list"} <= set(formats)
    assert all(choices for choices in formats.values()), formats
    assert formats["export"] == ["csv", "json", "jsonl", "parquet"]


def _folio(settings: Settings, *args: str) -> Result:
    env = {
        "FOLIO_DATA_DIR": str(settings.storage.data_dir),
        "FOLIO_DATABASE_URL": settings.storage.sqlalchemy_url,
        "COLUMNS": "200",
    }
    return CliRunner().invoke(cli_app, list(args), env=env)


def test_lists_as_json_lines_or_csv_and_one_result_as_one_object(db_settings: Settings) -> None:
    for name in ("acme", "globex"):
        assert _folio(db_settings, "tenant", "create", name).exit_code == 0

    as_lines = _folio(db_settings, "tenant", "list", "--format", "json")
    alias = _folio(db_settings, "tenant", "list", "--json")
    as_csv = _folio(db_settings, "tenant", "list", "-f", "csv")
    created = _folio(db_settings, "tenant", "key", "create", "acme", "--format", "json")
    keys = _folio(db_settings, "tenant", "key", "list", "acme", "--format", "csv")
    wrong = _folio(db_settings, "tenant", "list", "--format", "yaml")

    rows = [json.loads(line) for line in as_lines.stdout.splitlines()]
    assert sorted(r["tenant"] for r in rows) == ["acme", "globex"]
    assert alias.stdout == as_lines.stdout
    table = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert sorted(r["tenant"] for r in table) == ["acme", "globex"]
    assert set(table[0]) == set(rows[0])
    key = json.loads(created.stdout)
    assert key["tenant"] == "acme" and key["key"]
    [listed] = list(csv.DictReader(io.StringIO(keys.stdout)))
    assert listed["tenant"] == "acme" and key["key"].startswith(listed["prefix"])
    assert wrong.exit_code == 2
