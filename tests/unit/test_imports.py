"""Commands that only read or manage (``bucle status``, ``server``, ``users``) must not pay for
the model code: torch and transformers take seconds to import on 2 cores, and status took 10 s
when reading a config imported the SetFit model."""

import subprocess
import sys

MODEL_CODE = ("torch", "transformers", "sentence_transformers", "setfit", "skops", "evaluate")


def test_the_cli_and_status_import_no_model_code():
    probe = (
        "import sys, bucle.loop.cli, bucle.loop.status, bucle.loop.llm_plan; "
        f"print(','.join(m for m in {MODEL_CODE!r} if m in sys.modules))"
    )
    imported = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert imported == "", f"imported {imported}"
