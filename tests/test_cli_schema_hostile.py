"""`folio schema add` answers every hostile schema file with one line and exit status 2, and
stores nothing (SQLite and PostgreSQL). Files are written as raw text, as an attacker would:
``1e400`` and a 5,000-digit integer are valid JSON that no number type holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from core.settings import Settings
from storage import repository as repo
from storage.database import make_engine, make_session_factory


def _property(spec: str) -> str:
    return '{"type": "object", "properties": {"ok": {"type": "string"}, "x": ' + spec + "}}"


HOSTILE_FILES: dict[str, bytes] = {
    "deep-json": ('{"type": "object", "properties": {"a": ' + "[" * 100_000 + "]" * 100_000 + "}}").encode(),
    "deep-all-of": _property('{"allOf": [' * 500 + '{"type": "string"}' + "]}" * 500).encode(),
    "recursive-ref": json.dumps(
        {
            "type": "object",
            "$defs": {"Node": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
            "properties": {"children": {"$ref": "#/$defs/Node"}},
        }
    ).encode(),
    "ref-chain": json.dumps(
        {
            "type": "object",
            "$defs": {
                **{f"D{i}": {"$ref": f"#/$defs/D{i + 1}"} for i in range(3000)},
                "D3000": {"type": "string"},
            },
            "properties": {"a": {"$ref": "#/$defs/D0"}},
        }
    ).encode(),
    "look-behind": _property('{"type": "string", "pattern": "(?<=EUR )\\\\d+"}').encode(),
    "bad-regex": _property('{"type": "string", "pattern": "(unclosed"}').encode(),
    "inf-number": _property('{"type": "number", "maximum": 1e400}').encode(),
    "integer-10-pow-1000": _property('{"type": "integer", "maximum": 1' + "0" * 1000 + "}").encode(),
    "integer-5000-digits": _property('{"type": "integer", "minimum": 9' + "9" * 5000 + "}").encode(),
    "long-field-name": json.dumps({"type": "object", "properties": {"n" * 150: {"type": "string"}}}).encode(),
    "thousands-of-properties": json.dumps(
        {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(5000)}}
    ).encode(),
    "not-utf8": b'{"type": "object", "description": "\xff\xfe"}',
    "too-big": b'{"type": "object", "description": "' + b"x" * (2 << 20) + b'"}',
}


@pytest.mark.parametrize("case", sorted(HOSTILE_FILES))
def test_hostile_schema_file_gets_one_line_and_exit_2(case: str, tmp_path: Path, database_url: str):
    source = tmp_path / f"{case}.json"
    source.write_bytes(HOSTILE_FILES[case])
    env = {
        "FOLIO_DATA_DIR": str(tmp_path / "var"),
        "FOLIO_DATABASE_URL": database_url,
        "FOLIO_ENGINE": "local",
        "COLUMNS": "2000",
    }
    result = CliRunner().invoke(app, ["schema", "add", "hostile", str(source)], env=env)
    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert "Traceback" not in result.output and len(lines[0]) <= 520
    engine = make_engine(
        Settings(
            _env_file=None,
            storage={"data_dir": tmp_path / "var", "database_url": database_url},
        )
    )
    try:
        with make_session_factory(engine)() as session:
            assert repo.latest_schema(session, "hostile") is None
    finally:
        engine.dispose()
