"""What a transformers ``Trainer`` tells the person waiting: a progress bar step per optimisation
step and, for trainings that evaluate, one log line per validation (SetFit's body fine-tune and
the LoRA family both train with a ``Trainer``)."""

from __future__ import annotations

import logging

from common.progress import Advance

log = logging.getLogger("bucle.training")


def report_callback(advance: Advance):
    """A trainer callback (its class defined on first use: transformers is slow to import)."""
    from transformers import TrainerCallback

    class Report(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            advance(1)

        def on_evaluate(self, args, state, control, metrics=None, **kwargs):
            if metrics and "eval_loss" in metrics:
                log.info("epoch %.0f: validation loss %.4f", state.epoch or 0, metrics["eval_loss"])

    return Report()
