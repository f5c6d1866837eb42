"""Training errors a project owner can act on."""

from bucle.common.errors import BucleError


class TrainingError(BucleError):
    """The labels, texts or model settings cannot produce a model; the message says why."""
