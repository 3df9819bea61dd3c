"""What a customer's SMS is made of, and how many segments a carrier bills for it (pure Python).

An SMS goes out as GSM-7 when every character is in the GSM 03.38 alphabet (its
extension table's characters, such as ``€`` and ``[``, take two septets), otherwise as
UCS-2, which is what any Chinese text is. A message that fits one segment may use 160
septets (GSM-7) or 70 UTF-16 units (UCS-2); a longer one is sent concatenated, and each
part then carries a header that leaves 153 septets or 67 units of text.
"""

from __future__ import annotations

from dataclasses import dataclass

import gsm0338  # type: ignore[import-untyped]  # noqa: F401  # no type hints; imported to register the "gsm03.38" codec

SINGLE = {"gsm7": 160, "ucs2": 70}
PART = {"gsm7": 153, "ucs2": 67}


@dataclass(frozen=True)
class Segments:
    """How a text is encoded, its length in that encoding's units, and the segments it takes."""

    encoding: str  # gsm7 | ucs2
    units: int  # septets (gsm7) or UTF-16 code units (ucs2)
    count: int

    def __str__(self) -> str:
        unit = "septets" if self.encoding == "gsm7" else "UCS-2 characters"
        return f"{self.units} {unit}, {self.count} segment(s) ({self.encoding.upper()})"


def segments(text: str) -> Segments:
    """The segments ``text`` takes as one SMS."""
    try:
        encoding, units = "gsm7", len(text.encode("gsm03.38"))  # an extension character encodes to two septets
    except UnicodeEncodeError:
        # UTF-16 code units: a character outside the BMP (an emoji) takes two
        encoding, units = "ucs2", len(text.encode("utf-16-le")) // 2
    if units <= SINGLE[encoding]:
        return Segments(encoding, units, 1 if units else 0)
    return Segments(encoding, units, -(-units // PART[encoding]))


# Regulation F, 12 CFR 1006.6(e): an electronic communication says how to opt out of it
OPT_OUT = {"en": "Reply STOP to opt out of texts.", "zh-CN": "回复TD退订短信。"}


def sms_text(body: str, *, language: str, signature: str, opt_out: bool) -> str:
    """The SMS as the customer reads it: the lender's signature first, as carriers require
    (【...】 in Chinese, [...] otherwise), the body, then the opt-out line where the rules ask for one."""
    text = body.strip()
    if signature:
        text = (f"【{signature}】" if language.startswith("zh") else f"[{signature}] ") + text
    if opt_out:
        text += (" " if not language.startswith("zh") else "") + OPT_OUT.get(language, OPT_OUT["en"])
    return text
