"""The model settings (``model:`` in ``bucle.yaml``): what one training run needs to know, typed
and strict, so that training is configured without the loop or its project file."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from training.models.setfit_model import FineTuneSettings


class Strict(BaseModel):
    """Settings that refuse unknown keys (a typo is an error, not a silent default) and never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelSettings(Strict):
    body: str | None = None  # a Hub name or local path; None: the offline all-MiniLM-L6-v2
    max_seq_length: int = Field(256, ge=16, le=8192)
    # Fine-tune the body contrastively every N trainings, or when the labelled set grew by this
    # fraction since the last fine-tune; the other trainings refit only the head (seconds).
    fine_tune_min_labels: int = Field(64, ge=2)  # contrastive pairs from fewer labels rarely help
    fine_tune_every: int = Field(5, ge=1)
    fine_tune_growth: float = Field(0.5, gt=0)
    fine_tune_pairs_per_label: int = Field(10, ge=1)  # SetFit's num_iterations
    fine_tune_batch_size: int = Field(16, ge=2)
    fine_tune_max_steps: int = Field(200, ge=1)  # a cap, so that a fine-tune stays in minutes on 2 cores
    promotion_margin: float = Field(0.005, ge=0)  # macro-F1 a challenger must gain over the champion
    bootstrap_samples: int = Field(1000, ge=100)
    country: str = "ESP"  # ISO 3166 alpha-3, for the carbon intensity of electricity
    onnx_int8: bool = False  # score with an int8 ONNX body when it keeps macro-F1 within 0.5 points
    seed: int = 42

    @property
    def fine_tuning(self) -> FineTuneSettings:
        return FineTuneSettings(self.fine_tune_pairs_per_label, self.fine_tune_batch_size, self.fine_tune_max_steps,
                                self.seed)  # fmt: skip
