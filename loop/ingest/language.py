"""Is this text in the project's language? Offline, with py3langid's shipped model.

Only confident verdicts on texts long enough to judge reject a row: a short headline, or a
Spanish text full of English names, passes. For Spanish, a text dense with function words that
no neighbouring language shares ("y", "los", "las": Portuguese, Galician, Catalan and Italian
use "e"/"i", "os"/"els", "as"/"les") is accepted without running the model, which is the
slowest step of ingestion.
"""

from __future__ import annotations

import re

from dataclasses import dataclass
from functools import cached_property

SAMPLE_CHARS = 300  # enough to identify a language; keeps 100k rows fast
MIN_LETTERS = 40
FAST_PATH_CHARS = 800
_NOT_LETTERS = re.compile(r"[\W\d_]+")
_WORDS = re.compile(r"\w+")
SPANISH_ONLY = frozenset({"y", "los", "las"})
SPANISH_FUNCTION = frozenset(
    {"y", "los", "las", "el", "la", "de", "del", "que", "en", "por", "para", "con", "una", "se"}
)


@dataclass
class LanguageCheck:
    language: str = "es"
    confidence: float = 0.8

    @cached_property
    def _identifier(self):
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

    def foreign(self, text: str) -> tuple[str, float] | None:
        """The detected language and its probability if the text is confidently not ours."""
        sample = text[:SAMPLE_CHARS]
        if len(_NOT_LETTERS.sub("", sample)) < MIN_LETTERS:
            return None
        if self.language == "es" and _clearly_spanish(text[:FAST_PATH_CHARS]):
            return None
        detected, probability = self._identifier.classify(sample)
        if detected != self.language and probability >= self.confidence:
            return detected, float(probability)
        return None


def _clearly_spanish(sample: str) -> bool:
    words = _WORDS.findall(sample.lower())
    if len(words) < 20:
        return False
    own = sum(word in SPANISH_ONLY for word in words)
    function = sum(word in SPANISH_FUNCTION for word in words)
    return own >= 2 and function >= 0.25 * len(words)
