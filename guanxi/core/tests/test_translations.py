"""Simplified Chinese is the default language: every message must have a translation."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def _untranslated(po_text: str) -> list[str]:
    missing = []
    for block in po_text.split("\n\n")[1:]:
        if block.lstrip().startswith("#~"):
            continue
        msgid = "".join(re.findall(r'^(?:msgid )?"(.*)"$', block.split("msgstr")[0], re.M))
        strings = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', block, re.M)
        if msgid and any(not "".join(re.findall(r'"(.*)"', s)) for s in strings):
            missing.append(msgid)
    return missing


def test_every_message_has_a_simplified_chinese_translation():
    po = (LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    assert _untranslated(po) == []


def test_the_compiled_catalog_is_used():
    with translation.override("zh-hans"):
        assert translation.gettext("Recycle bin") == "回收站"
    with translation.override("en"):
        assert translation.gettext("Recycle bin") == "Recycle bin"
