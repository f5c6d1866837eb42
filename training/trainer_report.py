"""What a transformers ``Trainer`` tells the person waiting: a progress bar step per optimisation
step and, for trainings that evaluate, one log line per validation (SetFit's body fine-tune and
the LoRA family both train with a ``Trainer``)."""

from __future__ import annotations

import logging

from bucle.common.progress import Advance

log = logging.getLogger("bucle.training")


def time_budget_callback(seconds: float, what: str):
    """Stops a ``Trainer`` at the first step end after ``seconds``, and says what a step costs:
    a cap in steps means an hour on one machine and a minute on another."""
    import time

    from transformers import TrainerCallback

    class TimeBudget(TrainerCallback):
        started = 0.0

        def on_train_begin(self, args, state, control, **kwargs):
            self.started = time.monotonic()

        def on_step_end(self, args, state, control, **kwargs):
            elapsed = time.monotonic() - self.started
            if state.global_step == 2:
                per_step = elapsed / 2
                expected = min(args.max_steps, max(2, int(seconds / per_step))) if args.max_steps > 0 else None
                log.info(
                    "%s: %.1f s a step; %s steps, about %.0f min",
                    what,
                    per_step,
                    expected or "?",
                    (expected or 0) * per_step / 60,
                )
            if elapsed >= seconds:
                control.should_training_stop = True
                log.info(
                    "%s: stopped at its time budget (%.0f min) after %d steps", what, seconds / 60, state.global_step
                )

    return TimeBudget()


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
