"""An int8 ONNX copy of a sentence-transformer body, for scoring large pools on CPU.

The transformer is exported with torch's ONNX exporter and its weights quantised to int8 with
onnxruntime's dynamic quantisation; mean pooling and normalisation are done in numpy, as the
sentence-transformer's own modules do. It is only used where it keeps macro-F1 within half a
point of the fp32 body (the caller checks on the frozen test set).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from bucle.training.errors import TrainingError

MODEL_FP32 = "model.onnx"
MODEL_INT8 = "model-int8.onnx"
SETTINGS = "onnx.json"
BATCH = 32


def export_int8(encoder, folder: Path) -> Path:
    """Write ``folder/model-int8.onnx``, the tokenizer and the pooling settings of ``encoder``."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    modules = [type(module).__name__ for module in encoder]
    pooling = encoder[1] if len(modules) > 1 and modules[1] == "Pooling" else None
    if pooling is None or getattr(pooling, "pooling_mode_mean_tokens", True) is False:
        raise TrainingError(f"ONNX scoring supports mean-pooling sentence-transformers, not {modules}")
    transformer = getattr(encoder[0], "auto_model", None) or encoder[0].model
    tokenizer = encoder.tokenizer
    folder.mkdir(parents=True, exist_ok=True)
    sample = tokenizer(["una frase de ejemplo", "otra"], padding=True, return_tensors="pt")
    names = list(sample.keys())

    class _Hidden(torch.nn.Module):
        def __init__(self, model) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs):
            return self.model(**dict(zip(names, inputs))).last_hidden_state

    axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "hidden"]}
    with torch.no_grad():
        torch.onnx.export(
            _Hidden(transformer).eval(),
            tuple(sample[name] for name in names),
            str(folder / MODEL_FP32),
            input_names=names,
            output_names=["hidden"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    quantize_dynamic(str(folder / MODEL_FP32), str(folder / MODEL_INT8), weight_type=QuantType.QInt8)
    (folder / MODEL_FP32).unlink()
    tokenizer.save_pretrained(str(folder))
    settings = {
        "inputs": names,
        "max_seq_length": encoder.max_seq_length,
        "normalize": "Normalize" in modules,
        "prompts": encoder.prompts or {},
        "default_prompt": encoder.default_prompt_name,
    }
    (folder / SETTINGS).write_text(json.dumps(settings), encoding="utf-8")
    return folder / MODEL_INT8


class OnnxEncoder:
    def __init__(self, folder: Path) -> None:
        import onnxruntime
        from transformers import AutoTokenizer

        self.settings = json.loads((folder / SETTINGS).read_text(encoding="utf-8"))
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder))
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(
            str(folder / MODEL_INT8), options, providers=["CPUExecutionProvider"]
        )

    def encode(self, texts: Sequence[str], prompt: str | None = None) -> np.ndarray:
        """As the body's ``encode``: its prompt (``prompt``, else its default one) put before each text."""
        prompts = self.settings.get("prompts", {})
        prefix = prompts.get(prompt if prompt in prompts else self.settings.get("default_prompt"), "")
        texts = [prefix + text for text in texts]
        parts = []
        for start in range(0, len(texts), BATCH):
            batch = self.tokenizer(
                list(texts[start : start + BATCH]),
                padding=True,
                truncation=True,
                max_length=self.settings["max_seq_length"],
                return_tensors="np",
            )
            feeds = {name: batch[name].astype(np.int64) for name in self.settings["inputs"]}
            hidden = self.session.run(None, feeds)[0]
            mask = feeds["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            if self.settings["normalize"]:
                pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            parts.append(pooled.astype(np.float32))
        return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)
