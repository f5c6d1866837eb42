"""Decoding files and cleaning texts: encodings, mojibake, Unicode, HTML, control characters.

Every step is cheap on clean text (each looks before it works), so that 100k rows stay fast.
"""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser

import ftfy
from charset_normalizer import from_bytes

# Latin-1/cp1252 decoding of UTF-8 leaves these pairs behind ("informaciÃ³n", "â€œ").
_MOJIBAKE = re.compile(
    "[ÃÂâ][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013-\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")
_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b\u2028\u2029\ufeff]")
_ODD_SPACE = "\t\u00a0\u2000-\u200a\u202f\u205f\u3000"
# only what needs changing: runs of 2+ spaces, or any space that is not a plain one
_SPACES = re.compile(f"[ {_ODD_SPACE}]{{2,}}|[{_ODD_SPACE}]")
_BLANK_LINES = re.compile(r"\s*\n\s*\n\s*")
_LINE = re.compile(r" +\n *|\n +")
_BLOCK_TAGS = {"p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "article", "section"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self.skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in {"script", "style"} and self.skip:
            self.skip -= 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def strip_html(text: str) -> str:
    if _TAG.search(text):
        extractor = _TextExtractor()
        extractor.feed(text)
        extractor.close()
        return "".join(extractor.parts)
    return html.unescape(text) if "&" in text else text


def fix_mojibake(text: str) -> str:
    return ftfy.fix_text(text, normalization="NFC", uncurl_quotes=False) if _MOJIBAKE.search(text) else text


def clean_text(text: str) -> str:
    """Mojibake repaired, HTML stripped, NFC, control characters dropped, whitespace collapsed
    (paragraph breaks kept as one blank line)."""
    text = fix_mojibake(text)
    text = strip_html(text)
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text)
    text = _BLANK_LINES.sub("\n\n", text)
    text = _LINE.sub("\n", text)
    return text.strip()


def utf16_without_bom(head: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when ``head`` looks like UTF-16 text without a byte-order
    mark: Spanish text is nearly all code points below 256, so every other byte is NUL, on the
    same side throughout; binary data does not keep that pattern."""
    pairs = len(head) // 2
    if pairs < 2:
        return None
    even, odd = head[0 : 2 * pairs : 2], head[1 : 2 * pairs : 2]
    for encoding, zeros, other in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if zeros.count(0) >= 0.6 * pairs and other.count(0) == 0:
            try:
                head[: 2 * pairs].decode(encoding)
            except UnicodeDecodeError:
                return None
            return encoding
    return None


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was read with: UTF-8 (with or without BOM) when it decodes,
    UTF-16 with a BOM or with its NUL pattern, else the best guess among the encodings Spanish
    files come in."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    utf16 = utf16_without_bom(data[:8192])
    if utf16 is not None:
        try:
            return data.decode(utf16), utf16
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    guess = from_bytes(data, cp_isolation=["cp1252", "latin_1", "iso8859_15", "mac_roman", "cp850"]).best()
    encoding = guess.encoding if guess is not None else "cp1252"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"
