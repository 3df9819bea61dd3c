"""A letter as the printer gets it: a one-document PDF with the lender's name, the customer's
address block and the rendered text, through fpdf2 (a maintained PDF library; docs/MESSAGES.md).

Chinese text needs a font with its glyphs: Debian's ``fonts-wqy-microhei`` (WenQuanYi Micro
Hei, Apache 2.0 / GPL) by default, another TrueType file through ``COLLECTIONS_LETTER_FONT``.
fpdf2 embeds the subset of the font the letter uses.
"""

from __future__ import annotations

import os
from pathlib import Path

from fpdf import FPDF

from debt_collections.errors import ConfigError

DEFAULT_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


class LetterError(ConfigError):
    """No usable font for letters."""


def font_file() -> Path:
    """The TrueType file letters are set in; LetterError says how to get one."""
    path = Path(os.environ.get("COLLECTIONS_LETTER_FONT") or DEFAULT_FONT)
    if not path.is_file():
        raise LetterError(
            f"no font for letters at {path}: install Debian's fonts-wqy-microhei, "
            "or point COLLECTIONS_LETTER_FONT at a TrueType file with Chinese glyphs"
        )
    return path


def letter_pdf(text: str, *, name: str, address: str | None, sender: str) -> bytes:
    """The letter: ``sender`` at the top, the address block (``name``, ``address``) where a
    window envelope shows it, then ``text``; A4, one or more pages."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_creator("debt_collections")
    pdf.set_title("letter")
    pdf.add_font("letter", fname=str(font_file()))
    pdf.set_margins(left=25, top=20, right=20)
    pdf.add_page()
    pdf.set_font("letter", size=10)
    if sender:
        pdf.cell(text=sender, new_x="LMARGIN", new_y="NEXT")
    # the address block, at the window of a DL envelope (45 mm from the top)
    pdf.set_y(45)
    pdf.set_font("letter", size=11)
    for line in [name, *(address or "").splitlines()]:
        if line.strip():
            pdf.cell(text=line.strip(), new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(90)
    pdf.multi_cell(w=0, h=6.5, text=text)
    return bytes(pdf.output())
