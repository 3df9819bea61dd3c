"""A letter as the printer gets it: a one-document PDF with the lender's name, the customer's
address block and the rendered text, through fpdf2 (a maintained PDF library; docs/MESSAGES.md).

Chinese text needs a font with its glyphs: Debian's ``fonts-wqy-microhei`` (WenQuanYi Micro
Hei, Apache 2.0 / GPL) by default, another TrueType file through ``COLLECTIONS_LETTER_FONT``.
fpdf2 embeds the subset of the font the letter uses.

A CJK font has tens of thousands of glyphs, and fpdf2 reads the whole file for every document
(0.26 s a letter with WenQuanYi Micro Hei, most of it in fontTools decoding the glyph, cmap and
name tables). So each process cuts the font once, with fontTools' subsetter, to the characters
its letters have used so far (``_CutFont``), and sets letters in that cut: the same outlines and
widths, so the same lines and pages, at a tenth of the cost. A letter with a character the cut
lacks makes a new cut first (docs/DESIGN-NOTES.md, "Messages").
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from debt_collections.errors import ConfigError

if TYPE_CHECKING:
    from fontTools import subset  # type: ignore[import-untyped]  # no stubs

# fontTools and fpdf2 are imported where a letter is set, not with this module: every task process
# of the daily DAG imports the delivery code, and most never set a letter (0.2 s a process).

DEFAULT_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
# what every cut holds from the start: ASCII, Latin-1, general and CJK punctuation, full-width forms
_SEED = frozenset(
    [*range(0x20, 0x7F), *range(0xA0, 0x100), *range(0x2000, 0x2070), *range(0x3000, 0x3040), *range(0xFF00, 0xFFF0)]
)


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


class _CutFont:
    """``source`` cut to the characters asked for so far, as a TrueType file of this process's own.

    ``file_for(text)`` is the newest cut when it covers ``text`` (every character of it that the
    source has); else it cuts again with the text's characters added. Threads share one instance:
    a cut is written to a new file and published whole, and no file is removed while the process
    runs, so a letter being set in an older cut keeps it.
    """

    def __init__(self, source: Path) -> None:
        from fontTools import ttLib

        self.source = source
        with ttLib.TTFont(source, fontNumber=0, lazy=True) as font:
            self.has = frozenset(font.getBestCmap())
        # the newest cut and the characters it covers, published together: a thread reads both at once
        self.newest: tuple[Path, frozenset[int]] | None = None
        self._lock = threading.Lock()
        self._dir = Path(tempfile.mkdtemp(prefix="letter-font-"))
        atexit.register(shutil.rmtree, self._dir, True)

    def file_for(self, text: str) -> Path:
        need = {ord(c) for c in text} & self.has
        newest = self.newest
        if newest is not None and need <= newest[1]:
            return newest[0]
        with self._lock:
            newest = self.newest
            if newest is None or not need <= newest[1]:
                from fontTools import subset, ttLib

                covered = (newest[1] if newest else frozenset()) | need | (_SEED & self.has)
                font = ttLib.TTFont(self.source, fontNumber=0, recalcTimestamp=False, lazy=True)
                cutter = subset.Subsetter(_options())
                cutter.populate(unicodes=covered)
                cutter.subset(font)
                file = self._dir / f"cut-{len(covered)}.ttf"  # a cut only grows: its size names it
                font.save(file)
                font.close()
                newest = self.newest = (file, covered)
            return newest[0]


def _options() -> subset.Options:
    """Keep what fpdf2 reads (widths, names, metrics, outlines, .notdef): it cuts again per letter."""
    from fontTools import subset

    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.name_legacy = True
    options.notdef_outline = True
    options.glyph_names = True
    options.recalc_bounds = False
    options.prune_unicode_ranges = False
    options.drop_tables = [*options.drop_tables, "FFTM"]  # FontForge's timestamp: nothing to cut in it
    return options


@cache
def _cut(source: Path, size: int, mtime_ns: int) -> _CutFont:
    """One cut per font file and version of it in this process."""
    return _CutFont(source)


def letter_font(text: str) -> Path:
    """The file to set ``text`` in: a cut of ``font_file()`` with every character of ``text`` it has."""
    source = font_file()
    stat = source.stat()
    return _cut(source, stat.st_size, stat.st_mtime_ns).file_for(text)


def letter_pdf(text: str, *, name: str, address: str | None, sender: str) -> bytes:
    """The letter: ``sender`` at the top, the address block (``name``, ``address``) where a
    window envelope shows it, then ``text``; A4, one or more pages."""
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_creator("debt_collections")
    pdf.set_title("letter")
    pdf.add_font("letter", fname=str(letter_font("".join((sender, name, address or "", text)))))
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
