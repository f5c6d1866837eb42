"""Hugging Face Space of a bucle project: loads the published model and classifies Spanish text.

Written by `bucle demo export` (and `bucle publish`). The model is the published model repository
at the revision in space.json; set BUCLE_MODEL_DIR to a local folder to run it without the Hub.
"""

import json
import os
import sys
from pathlib import Path

import gradio as gr

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "vendor"))  # bucle's model loaders, copied at export time

from bucle.training.models.base import TextClassifier  # noqa: E402

SETTINGS = json.loads((HERE / "space.json").read_text(encoding="utf-8"))


def model_folder() -> Path:
    local = os.environ.get("BUCLE_MODEL_DIR")
    if local:
        return Path(local)
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(SETTINGS["model_repo"], revision=SETTINGS.get("model_revision")))


MODEL = TextClassifier.load(model_folder())
LABELS = SETTINGS["labels"]


def predict(text: str) -> dict[str, float]:
    text = " ".join((text or "").split())
    if not text:
        raise gr.Error("Escribe o pega un texto en español: el campo está vacío.", print_exception=False)
    if len(text) > SETTINGS["max_chars"]:
        raise gr.Error(
            f"El texto tiene {len(text):,} caracteres; el máximo es {SETTINGS['max_chars']:,}.", print_exception=False
        )
    probs = MODEL.predict_proba([text])[0]
    return {LABELS.get(label, label): float(p) for label, p in zip(MODEL.classes, probs)}


with gr.Blocks(title=SETTINGS["title"]) as demo:
    gr.Markdown(f"# {SETTINGS['title']}\n\n{SETTINGS['intro']}")
    text = gr.Textbox(label="Texto en español", lines=6, max_length=SETTINGS["max_chars"])
    button = gr.Button("Clasificar", variant="primary")
    result = gr.Label(label="Probabilidades (calibradas)", num_top_classes=len(LABELS))
    if SETTINGS["examples"]:
        gr.Examples(examples=[[e] for e in SETTINGS["examples"]], inputs=[text])
    gr.Markdown("### Limitaciones y sesgos\n\n" + SETTINGS["limitations"])
    button.click(predict, [text], [result], api_name="predict")

if __name__ == "__main__":
    demo.queue(default_concurrency_limit=2, max_size=64).launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
    )
