"""``alpsbio schedule solve-dzn``: the JSON contract on a tiny hand-made instance (no database)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from .test_scheduler_dzn import SMALL


@pytest.mark.parametrize(
    ("options", "methods"),
    [
        ((), {"exact", "kissat", "cadical"}),  # the portfolio
        (("--workers", "1"), {"exact"}),  # Exact alone
        (("--engine", "cp-sat"), {"cp-sat"}),  # the baseline
    ],
)
def test_json_contract_last_line(
    tmp_path: Path, options: tuple[str, ...], methods: set[str]
) -> None:
    path = tmp_path / "tiny.original.dzn"
    path.write_text(SMALL, encoding="utf-8")
    out = StringIO()
    call_command(
        "schedule", "solve-dzn", str(path), "--time-limit", "5", "--json", *options, stdout=out
    )
    last = json.loads(out.getvalue().strip().splitlines()[-1])
    assert last["method"] in methods
    assert {"instance", "breaks", "proved_optimal", "seconds", "valid"} <= set(last)
    assert last["instance"] == "tiny.original"
    assert last["valid"] is True
    assert last["breaks"] == 0
    assert last["proved_optimal"] is True


@pytest.mark.parametrize("engine", ["portfolio", "cp-sat"])
def test_infeasible_is_reported(tmp_path: Path, engine: str) -> None:
    # Meeting 1 is morning-only but participant 2 is forbidden in the only morning slots.
    text = SMALL.replace("forbidden = [{0},{0,2},{},{4}];", "forbidden = [{0},{1,2},{},{4}];")
    path = tmp_path / "bad.dzn"
    path.write_text(text, encoding="utf-8")
    out = StringIO()
    call_command(
        "schedule",
        "solve-dzn",
        str(path),
        "--time-limit",
        "5",
        "--json",
        "--engine",
        engine,
        stdout=out,
    )
    last = json.loads(out.getvalue().strip().splitlines()[-1])
    assert last["status"] == "infeasible"
    assert last["breaks"] is None
    assert last["valid"] is False


def test_bad_file_is_a_command_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.dzn"
    path.write_text("nBusiness = 2;\nrequested = [| 1, 2 |];\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"broken\.dzn"):
        call_command("schedule", "solve-dzn", str(path), "--time-limit", "2", stdout=StringIO())


def test_unknown_engine_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tiny.dzn"
    path.write_text(SMALL, encoding="utf-8")
    with pytest.raises(CommandError, match="engine"):
        call_command(
            "schedule",
            "solve-dzn",
            str(path),
            "--time-limit",
            "2",
            "--engine",
            "rc2",
            stdout=StringIO(),
        )
