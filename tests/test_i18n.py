"""The gettext catalogues are complete, consistent and compiled, in FR, IT and DE."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import polib
import pytest
from django.core.management import call_command

LOCALE = Path(__file__).resolve().parent.parent / "src" / "alpsbio" / "locale"
LANGS = ["fr", "it", "de"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\{[^}]*\}\}|\{\w+\}")


def _catalogue(lang: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / lang / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("lang", LANGS)
def test_every_string_is_translated(lang: str) -> None:
    po = _catalogue(lang)
    missing = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not missing, f"{len(missing)} untranslated in {lang}, e.g. {missing[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {lang}, e.g. {fuzzy[:5]}"


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_survive_translation(lang: str) -> None:
    bad = []
    for entry in _catalogue(lang).translated_entries():
        if entry.msgid_plural:
            pairs = [(entry.msgid_plural, t) for t in entry.msgstr_plural.values()]
        else:
            pairs = [(entry.msgid, entry.msgstr)]
        for source, target in pairs:
            expected = sorted(
                set(PLACEHOLDER.findall(source)) | set(PLACEHOLDER.findall(entry.msgid))
            )
            found = sorted(set(PLACEHOLDER.findall(target)))
            # A singular form may drop the count ("une organisation"), never add or rename one.
            if not set(found) <= set(expected):
                bad.append((entry.msgid, target))
    assert not bad, bad[:5]


@pytest.mark.parametrize("lang", LANGS)
def test_compiled_catalogue_matches_the_source(lang: str) -> None:
    po = _catalogue(lang)
    mo_path = LOCALE / lang / "LC_MESSAGES" / "django.mo"
    assert mo_path.exists(), f"run: alpsbio compilemessages (missing {mo_path})"
    mo = polib.mofile(str(mo_path))
    compiled = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0) for e in mo}
    stale = [
        e.msgid
        for e in po.translated_entries()
        if compiled.get((e.msgctxt, e.msgid)) != (e.msgstr or e.msgstr_plural.get(0))
    ]
    assert not stale, f"{len(stale)} entries differ from the .mo: run alpsbio compilemessages"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (CI installs it)")
def test_every_string_in_the_source_is_in_the_catalogues(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A string added to the code or a template but not to the catalogues stays in English.

    makemessages runs on a copy of the sources, so that it writes neither into the real
    catalogues nor temporary files beside the real templates.
    """
    source = LOCALE.parent
    copy = tmp_path / "alpsbio"
    shutil.copytree(
        source,
        copy,
        ignore=lambda _dir, names: [
            n
            for n in names
            if n == "__pycache__" or Path(n).suffix not in {"", ".py", ".html", ".txt", ".po"}
        ],
    )
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    call_command(
        "makemessages", locale=LANGS, no_location=True, ignore_patterns=["*/tests/*"], verbosity=0
    )
    for lang in LANGS:
        updated = polib.pofile(str(copy / "locale" / lang / "LC_MESSAGES" / "django.po"))
        stale = [e.msgid for e in updated.untranslated_entries() + updated.fuzzy_entries()]
        assert not stale, (
            f"{len(stale)} strings of the source are not translated in {lang}, e.g. {stale[:5]}: "
            f"run alpsbio makemessages -l {lang} --no-location --ignore '*/tests/*' in src/alpsbio"
        )
