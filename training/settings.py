"""The model settings (``model:`` in ``bucle.yaml``): what one training run needs to know, typed
and strict, so that training is configured without the loop or its project file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


@dataclass(frozen=True)
class FineTuneSettings:
    """One fine-tuning run of a SetFit body, as the trainer takes it (``ModelSettings.fine_tuning``
    fills it from the project file); here, so that reading a config imports no model code."""

    pairs_per_label: int = 10  # SetFit's num_iterations
    batch_size: int = 16
    max_steps: int = 200
    seed: int = 42
    max_seconds: float | None = None  # stop at the first step after this much time (None: only max_steps)


class Strict(BaseModel):
    """Settings that refuse unknown keys (a typo is an error, not a silent default) and never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LlmSettings(Strict):
    """``model.llm``: a LoRA-tuned LLM (or encoder) challenger, trained beside the rounds on a GPU
    once enough labels exist. Off until ``base_model`` names one."""

    base_model: str | None = None  # a Hub name or local folder, e.g. BSC-LT/salamandra-2b, Qwen/Qwen2.5-1.5B
    min_labels: int = Field(200, ge=8)  # fewer labels rarely let an LLM beat SetFit and TF-IDF
    retrain_growth: float = Field(0.25, gt=0)  # train again once the labels grew by this fraction
    rank: int = Field(16, ge=1)
    alpha: int = Field(32, ge=1)
    dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: list[str] | Literal["all-linear"] = "all-linear"
    epochs: float = Field(4, gt=0)  # at most: early stopping on the validation split ends sooner
    patience: int = Field(2, ge=1)  # evaluations without a better validation loss before stopping
    learning_rate: float = Field(2e-4, gt=0)
    batch_size: int = Field(16, ge=1)
    max_length: int = Field(256, ge=16, le=8192)
    validation_share: float = Field(0.15, gt=0, lt=0.5)  # carved from the labels, never the test set
    # recompute activations in the backward pass (slower, far less memory); auto: when the
    # weights and activations would not fit in 85% of the GPU's memory
    gradient_checkpointing: bool | Literal["auto"] = "auto"
    # auto: CUDA when present, else no LLM training; cpu: train there anyway (tests, tiny models)
    device: Literal["auto", "cuda", "cpu"] = "auto"


class ModelSettings(Strict):
    body: str | None = None  # a Hub name or local path; None: multilingual-e5-small (training.bodies)
    max_seq_length: int = Field(256, ge=16, le=8192)
    # Fine-tune the body contrastively every N trainings, or when the labelled set grew by this
    # fraction since the last fine-tune; the other trainings refit only the head (seconds).
    fine_tune_min_labels: int = Field(64, ge=2)  # contrastive pairs from fewer labels rarely help
    fine_tune_every: int = Field(5, ge=1)
    fine_tune_growth: float = Field(0.5, gt=0)
    fine_tune_pairs_per_label: int = Field(10, ge=1)  # SetFit's num_iterations
    fine_tune_batch_size: int = Field(16, ge=2)
    fine_tune_max_steps: int = Field(200, ge=1)  # a cap in steps: seconds on a GPU, an hour of e5 on 2 cores
    fine_tune_max_minutes: float = Field(10.0, gt=0)  # and in time, so that a fine-tune stays in minutes anywhere
    promotion_margin: float = Field(0.005, ge=0)  # macro-F1 a challenger must gain over the champion
    bootstrap_samples: int = Field(1000, ge=100)
    country: str = "ESP"  # ISO 3166 alpha-3, for the carbon intensity of electricity
    onnx_int8: bool = False  # score with an int8 ONNX body when it keeps macro-F1 within 0.5 points
    seed: int = 42
    llm: LlmSettings = LlmSettings()

    @property
    def fine_tuning(self) -> FineTuneSettings:
        return FineTuneSettings(
            self.fine_tune_pairs_per_label,
            self.fine_tune_batch_size,
            self.fine_tune_max_steps,
            self.seed,
            self.fine_tune_max_minutes * 60,
        )
