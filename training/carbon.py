"""Carbon footprint of training and evaluation, measured with codecarbon's offline tracker
(the electricity mix of the configured country; no network)."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Iterator


@dataclass
class Footprint:
    grams_co2eq: float = 0.0
    kwh: float = 0.0
    seconds: float = 0.0
    country: str = ""
    hardware: str = ""
    source: str = "codecarbon"

    def to_json(self) -> dict:
        return asdict(self)


@contextmanager
def track(country: str = "ESP") -> Iterator[Footprint]:
    """Measure the block; the yielded ``Footprint`` is filled when it ends."""
    from codecarbon import OfflineEmissionsTracker

    logging.getLogger("codecarbon").setLevel(logging.ERROR)
    footprint = Footprint(country=country)
    tracker = OfflineEmissionsTracker(
        country_iso_code=country, save_to_file=False, log_level="error", measure_power_secs=5, tracking_mode="process"
    )
    tracker.start()
    try:
        yield footprint
    finally:
        emissions_kg = tracker.stop() or 0.0
        data = tracker.final_emissions_data
        footprint.grams_co2eq = 1000 * float(emissions_kg)
        footprint.kwh = float(getattr(data, "energy_consumed", 0.0) or 0.0)
        footprint.seconds = float(getattr(data, "duration", 0.0) or 0.0)
        footprint.hardware = f"{getattr(data, 'cpu_model', '?')} ×{getattr(data, 'cpu_count', '?')} (CPU)"
