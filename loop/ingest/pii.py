"""Masking personal data in Spanish texts: e-mail addresses, phone numbers, DNI and NIE numbers
(with their check letter verified), and IBANs (with their mod-97 check verified).

Validating the check digits keeps ordinary numbers (years, amounts, ``*NUMBER*`` masks) intact.
"""

from __future__ import annotations

import re
from collections import Counter

DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
DNI = re.compile(r"\b(\d{8})[ -]?([A-Za-z])\b")
NIE = re.compile(r"\b([XYZxyz])[ -]?(\d{7})[ -]?([A-Za-z])\b")
IBAN = re.compile(r"\b([A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){3,7}(?:[ ]?[A-Z0-9]{1,3})?)\b")
PHONE = re.compile(r"(?<![\w+])(?:\+\d{2,3}[ .-]?)?(?:\(?\d{2,3}\)?[ .-]?)?\d{3,4}[ .-]?\d{3,4}(?![\w])")

MASKS = {"email": "[CORREO]", "iban": "[IBAN]", "nie": "[NIE]", "dni": "[DNI]", "phone": "[TELÉFONO]"}


def _dni_ok(number: str, letter: str) -> bool:
    return DNI_LETTERS[int(number) % 23] == letter.upper()


def _iban_ok(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(char, 36)) for char in rearranged)
    return int(digits) % 97 == 1


THOUSANDS = re.compile(r"\d{1,3}(?:[.,]\d{3})+")


def _phone_ok(candidate: str) -> bool:
    if THOUSANDS.fullmatch(candidate):  # 150.000.000 is an amount, not a phone number
        return False
    digits = re.sub(r"\D", "", candidate)
    return 9 <= len(digits) <= 13


_DIGIT_RUN = re.compile(r"\d(?:[ .()-]?\d){6}")  # every pattern but e-mail needs 7+ digits
_NIE_DIGIT = {"X": "0", "Y": "1", "Z": "2"}
_CHECKS = {
    "iban": lambda m: _iban_ok(m.group(1)),
    "nie": lambda m: _dni_ok(_NIE_DIGIT[m.group(1).upper()] + m.group(2), m.group(3)),
    "dni": lambda m: _dni_ok(m.group(1), m.group(2)),
    "phone": lambda m: _phone_ok(m.group(0)),
}
_ORDER = (("iban", IBAN), ("nie", NIE), ("dni", DNI), ("phone", PHONE))


def mask(text: str) -> tuple[str, Counter]:
    """The text with personal data replaced by placeholders, and how many of each kind.

    Each pattern runs only where it can match (an "@" for e-mails, a run of seven digits for
    the rest), so clean texts cost two quick scans."""
    counts: Counter = Counter()

    def replacing(kind: str, valid=lambda match: True):
        def substitute(match: re.Match) -> str:
            if not valid(match):
                return match.group(0)
            counts[kind] += 1
            return MASKS[kind]

        return substitute

    if "@" in text:
        text = EMAIL.sub(replacing("email"), text)
    if _DIGIT_RUN.search(text):
        for kind, pattern in _ORDER:
            text = pattern.sub(replacing(kind, _CHECKS[kind]), text)
    return text, counts
