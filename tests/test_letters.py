"""Letters set in a cut of the font (delivery/letters.py): the same letter as in the whole font, and a
character the cut lacks is never left out."""

from __future__ import annotations

import io
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest
from pypdf import PdfReader

from debt_collections.delivery import letters
from debt_collections.delivery.sender import cut_letter_font

LONG = (
    "尊敬的龙骧先生：截至2026-11-21，我们尚未收到您尾号0001的车贷账户本期还款，逾期金额为¥12,345.67。"
    "If you have already paid, thank you — please disregard this letter (ref. ÅÉØ-42). "
) * 12


@pytest.fixture()
def fresh_cut():
    """Each test starts from no cut, as a new process does."""
    letters._cut.cache_clear()
    yield
    letters._cut.cache_clear()


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _whole_font_letter(monkeypatch, text: str, **kw) -> bytes:
    """The same letter set in the whole font, as before the cut."""
    with monkeypatch.context() as m:
        m.setattr(letters, "letter_font", lambda _text: letters.font_file())
        return letters.letter_pdf(text, **kw)


def test_a_letter_in_the_cut_reads_and_breaks_like_the_whole_font(monkeypatch, fresh_cut):
    kw = {"name": "龙骧", "address": "上海市浦东新区示例路12号\n201203", "sender": "安达汽车金融"}
    cut = letters.letter_pdf(LONG, **kw)
    whole = _whole_font_letter(monkeypatch, LONG, **kw)
    assert len(_pages(whole)) == 2  # the text runs onto a second page: the same break in both
    assert _pages(cut) == _pages(whole)


def test_a_character_the_cut_lacks_makes_a_new_cut_that_has_it(caplog, fresh_cut):
    first = letters.letter_font("您好，张三")
    assert letters.letter_font("张三 12") == first  # covered: the same cut
    caplog.set_level(logging.WARNING, logger="fpdf")
    pdf = letters.letter_pdf("您好，龘先生", name="龘鱻", address=None, sender="")
    assert letters.letter_font("龘鱻") != first
    assert "missing" not in caplog.text
    assert "龘鱻" in _pages(pdf)[0] and "您好，龘先生" in _pages(pdf)[0]


def test_letters_set_at_once_in_threads_each_have_their_characters(caplog, fresh_cut):
    names = ["龘", "鱻", "骉", "麤", "猋", "羴", "淼", "焱", "垚", "犇", "毳", "赑"]
    caplog.set_level(logging.WARNING, logger="fpdf")
    with ThreadPoolExecutor(max_workers=6) as pool:
        pdfs = list(pool.map(lambda n: letters.letter_pdf(f"致{n}先生", name=n, address=None, sender=""), names))
    assert "missing" not in caplog.text
    assert [_pages(pdf)[0].splitlines()[0] for pdf in pdfs] == names


def test_one_cut_serves_a_whole_send_of_letters(fresh_cut):
    rows = [
        {"channel": "letter", "full_name": name, "address": "北京市朝阳区", "language": "zh-CN"}
        for name in ("龘", "鱻", "骉")
    ] + [{"channel": "sms", "full_name": "麤", "address": None, "language": "zh-CN"}]
    cut_letter_font(rows, None)
    cut = letters.letter_font("龘鱻骉北京市朝阳区")
    assert letters.letter_font("鱻") == cut  # no new cut for any of the letters' names
    assert letters.letter_font("麤") != cut  # the SMS's name was not a letter's


def test_the_font_missing_is_still_the_error_that_names_the_fix(monkeypatch, tmp_path, fresh_cut):
    monkeypatch.setenv("COLLECTIONS_LETTER_FONT", str(tmp_path / "none.ttf"))
    with pytest.raises(letters.LetterError, match="fonts-wqy-microhei"):
        letters.letter_pdf("x", name="n", address=None, sender="")
    cut_letter_font([{"channel": "letter", "full_name": "n", "language": "en"}], None)  # no error: each letter fails
