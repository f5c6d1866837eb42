"""Is this text in the project's language? Offline, with py3langid's shipped model.

Only confident verdicts on texts long enough to judge reject a row: a short headline, or a
Spanish text full of English names, passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

SAMPLE_CHARS = 600  # enough to identify a language; keeps 100k rows fast
MIN_LETTERS = 40


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
        if sum(char.isalpha() for char in sample) < MIN_LETTERS:
            return None
        detected, probability = self._identifier.classify(sample)
        if detected != self.language and probability >= self.confidence:
            return detected, float(probability)
        return None
