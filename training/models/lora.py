"""LoRA: a pretrained LLM (Llama, Qwen2, Gemma, BLOOM, …) or encoder (RoBERTa, BERT, …) as a
sequence classifier, its weights frozen and low-rank adapters trained on all its linear layers
with peft, beside a classification head trained in full.

Training uses transformers' ``Trainer`` (so ``accelerate launch`` spreads it over several GPUs
unchanged): class weights against skewed batches, a validation split carved from the labels
(never the frozen test set) for early stopping on its loss and for calibration, texts grouped by
length so that batches carry little padding, bf16 on a GPU.

A saved model is peft's adapter folder (``adapter_config.json``, ``adapter_model.safetensors``
with the trained head) plus the tokenizer, so that
``AutoPeftModelForSequenceClassification.from_pretrained(folder, num_labels=…)`` loads it without
bucle; the base model is named in ``adapter_config.json``, as peft does. The calibration
temperature is folded into the head's last linear layer (logits / T), like the other families.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from bucle.training.calibration import Calibrator
from bucle.training.errors import TrainingError
from bucle.common.progress import progress
from bucle.training.models.base import TextClassifier, check_training_data
from bucle.training.trainer_report import report_callback

log = logging.getLogger("bucle.training")
ADAPTER_CONFIG = "adapter_config.json"  # peft's names
LABELS = "labels.json"  # id2label and the pad token id, which the base model's config lacks
SCORE_BATCH = 64
ACTIVATION_BYTES = 34  # per token, layer and hidden unit in 16-bit training (Korthikanti et al., 2022)
MEMORY_SHARE = 0.85  # of the GPU's memory that weights and activations may fill before checkpointing


@dataclass(frozen=True)
class LoraParams:
    """What one LoRA training needs (``model.llm`` in ``bucle.yaml``, less the loop's policy)."""

    base_model: str
    rank: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: list[str] | str = "all-linear"
    epochs: float = 4
    patience: int = 2
    learning_rate: float = 2e-4
    batch_size: int = 16
    max_length: int = 256
    validation_share: float = 0.15
    gradient_checkpointing: bool | str = "auto"
    device: str = "auto"  # auto: CUDA if present, else CPU
    seed: int = 42


def main_process() -> bool:
    """False in the other processes of a data-parallel run (``accelerate launch``, torchrun):
    they train beside the main one, which alone writes what outlives the training."""
    return int(os.environ.get("RANK", "0")) == 0


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def _device(requested: str) -> str:
    if requested == "cuda" and not cuda_available():
        raise TrainingError("model.llm.device is cuda but no CUDA device is visible")
    return "cuda" if requested == "cuda" or (requested == "auto" and cuda_available()) else "cpu"


def _tokenizer(base: str):
    """The base model's tokenizer, with a pad token (decoders often lack one: their end-of-text
    token serves) and right padding, where the classifier reads the last real token."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base)
    if tokenizer.pad_token is None:
        if tokenizer.eos_token is None:
            raise TrainingError(f"the tokenizer of {base} has neither a pad nor an end-of-text token")
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "right"
    return tokenizer


def _head_linear(model):
    """The last linear layer of the trained classification head (``score`` for decoders,
    ``classifier`` or ``classifier.out_proj`` for encoders): where logits come out."""
    import torch
    from peft.utils import ModulesToSaveWrapper

    for module in model.modules():
        if isinstance(module, ModulesToSaveWrapper):
            head = module.modules_to_save["default"]
            linears = [m for m in head.modules() if isinstance(m, torch.nn.Linear)]
            if linears:
                return linears[-1]
    raise TrainingError("the LoRA model has no trained classification head")


def needs_checkpointing(model, params: LoraParams, device: str) -> bool:
    """``gradient_checkpointing: auto``: on a GPU, when the 16-bit weights plus one batch's
    activations (34 bytes per token, layer and hidden unit) exceed 85% of its memory."""
    if params.gradient_checkpointing != "auto":
        return bool(params.gradient_checkpointing)
    if device != "cuda":
        return False
    import torch

    config = model.config
    weights = 2 * sum(p.numel() for p in model.parameters())
    activations = (
        ACTIVATION_BYTES * params.batch_size * params.max_length * config.num_hidden_layers * config.hidden_size
    )
    return weights + activations > MEMORY_SHARE * torch.cuda.get_device_properties(0).total_memory


class _Texts:
    """Tokenised texts as the Trainer reads them (a map-style dataset)."""

    def __init__(self, encodings: dict, labels: Sequence[int]) -> None:
        self.encodings, self.labels = encodings, labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict:
        return {**{key: values[i] for key, values in self.encodings.items()}, "labels": int(self.labels[i])}


@contextmanager
def _checkpoint_folder(folder: Path | None) -> Iterator[Path]:
    """``folder`` emptied first by the main process (the others only read the best checkpoint
    from it at the end, so it is left in place), or a temporary folder."""
    if folder is None:
        with tempfile.TemporaryDirectory(prefix="bucle-lora-") as scratch:
            yield Path(scratch)
        return
    if main_process():
        shutil.rmtree(folder, ignore_errors=True)
    yield folder


def _split(targets: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Training and validation positions, stratified when every class has two examples."""
    from sklearn.model_selection import train_test_split

    positions = np.arange(len(targets))
    size = max(int(round(share * len(targets))), len(np.unique(targets)))
    stratify = targets if np.bincount(targets).min(initial=len(targets)) >= 2 and size < len(targets) - 1 else None
    train, validation = train_test_split(positions, test_size=size, random_state=seed, stratify=stratify)
    return np.sort(train), np.sort(validation)


class LoraClassifier(TextClassifier):
    family = "lora"

    def __init__(self, classes: Sequence[str], params: LoraParams, checkpoints: Path | None = None) -> None:
        """``checkpoints``: where the trainer keeps its best checkpoint (default: a temporary
        folder); every process of a multi-GPU run must get the same one."""
        super().__init__(classes)
        self.params = params
        self.checkpoints = checkpoints
        self.model = None
        self.tokenizer = None
        self.device = _device(params.device)
        self.losses: list[float] = []  # training loss per logged step, for the card and the tests
        self.stopped_at: float | None = None  # the epoch early stopping ended at

    # -- training -----------------------------------------------------------------------------

    def _base(self):
        import torch
        from transformers import AutoModelForSequenceClassification

        params = self.params
        try:
            self.tokenizer = _tokenizer(params.base_model)
            model = AutoModelForSequenceClassification.from_pretrained(
                params.base_model,
                num_labels=len(self.classes),
                id2label=dict(enumerate(self.classes)),
                label2id={c: i for i, c in enumerate(self.classes)},
                dtype=torch.bfloat16 if self.device == "cuda" else torch.float32,
            )
        except OSError as error:
            raise TrainingError(f"cannot load the LLM {params.base_model!r} (model.llm.base_model): {error}") from error
        model.config.pad_token_id = self.tokenizer.pad_token_id
        return model

    def _encode(self, texts: Sequence[str]) -> dict:
        return self.tokenizer(list(texts), truncation=True, max_length=self.params.max_length)

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> "LoraClassifier":
        check_training_data(texts, labels, self.classes)
        import torch
        from peft import LoraConfig, TaskType, get_peft_model
        from transformers import (
            DataCollatorWithPadding,
            EarlyStoppingCallback,
            PrinterCallback,
            Trainer,
            TrainingArguments,
        )

        params = self.params
        torch.manual_seed(params.seed)
        targets = np.array([self.classes.index(label) for label in labels])
        train, validation = _split(targets, params.validation_share, params.seed)
        base = self._base()
        lora = LoraConfig(
            task_type=TaskType.SEQ_CLS,
            r=params.rank,
            lora_alpha=params.alpha,
            lora_dropout=params.dropout,
            target_modules=params.target_modules,
        )
        self.model = get_peft_model(base, lora)
        encodings = self._encode(texts)
        subset = lambda rows: {key: [values[i] for i in rows] for key, values in encodings.items()}  # noqa: E731
        counts = np.bincount(targets[train], minlength=len(self.classes))
        weights = torch.tensor(len(train) / (len(self.classes) * np.maximum(counts, 1)), dtype=torch.float32)

        def weighted_loss(outputs, labels, num_items_in_batch=None):
            logits = outputs.logits.float()
            return torch.nn.functional.cross_entropy(logits, labels, weight=weights.to(logits.device))

        with _checkpoint_folder(self.checkpoints) as scratch:
            args = TrainingArguments(
                output_dir=str(scratch),
                num_train_epochs=params.epochs,
                per_device_train_batch_size=params.batch_size,
                per_device_eval_batch_size=params.batch_size * 2,
                learning_rate=params.learning_rate,
                warmup_steps=0.06,
                weight_decay=0.01,
                lr_scheduler_type="linear",
                eval_strategy="epoch",
                save_strategy="epoch",
                save_total_limit=1,
                load_best_model_at_end=True,
                metric_for_best_model="eval_loss",
                greater_is_better=False,
                train_sampling_strategy="group_by_length",
                bf16=self.device == "cuda",
                use_cpu=self.device == "cpu",
                activation_checkpointing=needs_checkpointing(base, params, self.device),
                logging_steps=1,
                report_to=[],
                seed=params.seed,
                data_seed=params.seed,
                disable_tqdm=True,
                dataloader_num_workers=0,
                remove_unused_columns=False,
            )
            steps = int(np.ceil(len(train) / params.batch_size) * np.ceil(params.epochs))
            with progress(f"LoRA on {Path(params.base_model).name}", steps) as advance:
                trainer = Trainer(
                    model=self.model,
                    args=args,
                    train_dataset=_Texts(subset(train), targets[train]),
                    eval_dataset=_Texts(subset(validation), targets[validation]),
                    data_collator=DataCollatorWithPadding(self.tokenizer),
                    compute_loss_func=weighted_loss,
                    callbacks=[EarlyStoppingCallback(params.patience), report_callback(advance)],
                )
                trainer.remove_callback(PrinterCallback)  # its raw dicts on stdout; the log says what matters
                trainer.train()
        history = trainer.state.log_history
        self.losses = [row["loss"] for row in history if "loss" in row]
        self.stopped_at = trainer.state.epoch
        self.model.eval()
        validation_logits = self._logits([texts[i] for i in validation])
        calibration = Calibrator.fit(_softmax(validation_logits), targets[validation])
        self.temperature, self.held_out = calibration.temperature, calibration.held_out  # the validation split
        self._fold_temperature(self.temperature)
        return self

    def _fold_temperature(self, temperature: float) -> None:
        """Divide the head's last layer by T: the saved model's logits are then calibrated."""
        import torch

        with torch.no_grad():
            linear = _head_linear(self.model)
            linear.weight.div_(temperature)
            if linear.bias is not None:
                linear.bias.div_(temperature)

    # -- scoring ------------------------------------------------------------------------------

    def _logits(self, texts: Sequence[str]) -> np.ndarray:
        """Logits in ``texts`` order, scored in batches of similar length (little padding)."""
        import torch

        if self.model is None:
            raise TrainingError("the LoRA model is not trained yet")
        order = np.argsort([len(text) for text in texts], kind="stable")
        out = np.zeros((len(texts), len(self.classes)), dtype=np.float32)
        device = next(self.model.parameters()).device
        with torch.inference_mode():
            for start in range(0, len(texts), SCORE_BATCH):
                rows = order[start : start + SCORE_BATCH]
                batch = self.tokenizer(
                    [texts[i] for i in rows],
                    truncation=True,
                    max_length=self.params.max_length,
                    padding=True,
                    return_tensors="pt",
                ).to(device)
                out[rows] = self.model(**batch).logits.float().cpu().numpy()
        return out

    def raw_proba(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, len(self.classes)))
        return _softmax(self._logits(texts))

    def hyperparameters(self) -> dict:
        params = {key: value for key, value in asdict(self.params).items() if key != "device"}
        return {
            **params,
            "base_body": self.params.base_model,
            "stopped_at_epoch": self.stopped_at,
            "pad_token_id": self.tokenizer.pad_token_id if self.tokenizer is not None else None,
        }

    # -- files --------------------------------------------------------------------------------

    def save_model(self, folder: Path) -> None:
        if self.model is None:
            raise TrainingError("the LoRA model is not trained yet")
        self.model.save_pretrained(folder)
        (folder / "README.md").unlink(missing_ok=True)  # peft's placeholder card: the version has its own
        self.tokenizer.save_pretrained(folder)
        labels = {"id2label": dict(enumerate(self.classes)), "pad_token_id": self.tokenizer.pad_token_id}
        (folder / LABELS).write_text(json.dumps(labels, indent=2, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load_model(cls, folder: Path, meta: dict) -> "LoraClassifier":
        import torch
        from peft import PeftModel
        from transformers import AutoModelForSequenceClassification

        hyper = meta["hyperparameters"]
        known = {key: hyper[key] for key in LoraParams.__dataclass_fields__ if key in hyper}
        model = cls(meta["classes"], LoraParams(**known))
        base_name = json.loads((folder / ADAPTER_CONFIG).read_text(encoding="utf-8"))["base_model_name_or_path"]
        model.tokenizer = _tokenizer(str(folder))
        try:
            base = AutoModelForSequenceClassification.from_pretrained(
                base_name,
                num_labels=len(model.classes),
                id2label=dict(enumerate(model.classes)),
                pad_token_id=model.tokenizer.pad_token_id,
                dtype=torch.bfloat16 if model.device == "cuda" else torch.float32,
            )
        except OSError as error:
            raise TrainingError(
                f"cannot load {base_name!r}, the base model of the LoRA version in {folder}: {error}"
            ) from error
        model.model = PeftModel.from_pretrained(base, folder).to(model.device).eval()
        return model


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)
