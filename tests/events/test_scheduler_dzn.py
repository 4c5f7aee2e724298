"""The .dzn reader: our own tiny files; the real benchmark only if it is present (never copied)."""

from __future__ import annotations

from pathlib import Path

import pytest

from alpsbio.events.scheduler.dzn import DznError, load_dzn
from alpsbio.events.scheduler.timing import Session

SMALL = """\
% a tiny hand-made instance
nBusiness = 4;
nMeetings = 3;
nTables = 2;
nTotalSlots = 4;
nMorningSlots = 2;

requested = [|1, 2,1,
|1, 3,3,
|4, 1,2,
|];

meetingsxBusiness = [{1,2,3,4},
{1,2},
{1,3},
{1,4}];

nMeetingsBusiness = [3,1,1,1];
forbidden = [{0},{0,2},{},{4}];
fixed = [0,2,0];
precedences = [{},{},{1}];
"""

BENCH = Path(__file__).resolve().parents[3] / "shared" / "data" / "b2b_jair2022" / "instances"


def write(tmp_path: Path, text: str, name: str = "small.dzn") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_reads_all_fields(tmp_path: Path) -> None:
    prob = load_dzn(write(tmp_path, SMALL))
    assert (prob.n_participants, prob.n_slots, prob.n_morning, prob.n_tables) == (4, 4, 2, 2)
    assert [(m.a, m.b, m.session) for m in prob.meetings] == [
        (0, 1, Session.MORNING),
        (0, 2, Session.EITHER),
        (3, 0, Session.AFTERNOON),
    ]
    assert prob.forbidden == [frozenset(), frozenset({1}), frozenset(), frozenset({3})]
    assert prob.meetings[1].fixed_slot == 1
    assert prob.precedences == [(0, 2)]
    assert prob.name == "small"
    assert prob.allowed_slots(0) == [0]  # morning, participant 2 forbidden in slot 2 (1-based)


def test_inconsistent_redundant_array_names_file_line_and_field(tmp_path: Path) -> None:
    bad = SMALL.replace("nMeetingsBusiness = [3,1,1,1]", "nMeetingsBusiness = [3,1,2,1]")
    with pytest.raises(DznError, match=r"small\.dzn:\d+: nMeetingsBusiness: participant 3"):
        load_dzn(write(tmp_path, bad))
    bad = SMALL.replace("{1,3},\n{1,4}", "{1,4},\n{1,3}")
    with pytest.raises(DznError, match="meetingsxBusiness: participant 3"):
        load_dzn(write(tmp_path, bad))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("nTables = 2;", "nTables = two;", "nTables"),
        ("|4, 1,2,", "|4, 1,7,", "session 7"),
        ("|4, 1,2,", "|4, 9,2,", "bad participants"),
        ("nMeetings = 3;", "nMeetings = 4;", "3 rows, nMeetings says 4"),
        ("fixed = [0,2,0];", "fixed = [0,9,0];", "fixed: meeting 2"),
        ("nTotalSlots = 4;", "", "nTotalSlots: missing"),
        ("precedences = [{},{},{1}];", "precedences = [{1},{},{}];", "bad id 1"),
    ],
)
def test_bad_input_is_a_clear_error(tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(DznError, match=message):
        load_dzn(write(tmp_path, SMALL.replace(old, new)))


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DznError, match="cannot read"):
        load_dzn(tmp_path / "nope.dzn")


@pytest.mark.skipif(not BENCH.is_dir(), reason="JAIR benchmark folder not present")
def test_reads_every_benchmark_instance() -> None:
    files = sorted(BENCH.glob("*.dzn"))
    assert len(files) >= 20
    for f in files:
        prob = load_dzn(f)  # cross-checks the redundant arrays
        assert prob.meetings
        assert prob.n_slots > 0
