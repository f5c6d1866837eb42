"""The metadata that shows annotators what the model thinks of a record, pre-filled or not.

Kept apart from ``annotation.datasets`` (which imports argilla) so that the project config can
reserve these names cheaply.
"""

PREDICTION, PROBABILITY, KIND = "prediccion", "probabilidad", "tipo"
CONFIRM, DECIDE = "confirmar", "decidir"  # KIND: a confident prediction to confirm; one the model hesitates on
