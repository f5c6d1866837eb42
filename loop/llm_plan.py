"""When an LLM challenger is due, and why: the scheduler asks it, ``bucle status`` says it; here,
apart from the training itself, so that asking imports no model code."""

from __future__ import annotations

from bucle.loop.config import ProjectConfig
from bucle.loop.context import registry
from bucle.loop.pool import Pool
from bucle.training.models.lora import cuda_available


def llm_plan(config: ProjectConfig) -> tuple[bool, str]:
    """Whether an LLM challenger is due, and why (or why not), for the scheduler and ``bucle
    status``: one is due when configured and trainable here (a CUDA device, or ``device: cpu``),
    with ``min_labels`` labels, grown by ``retrain_growth`` since the last LLM training."""
    llm = config.model.llm
    if llm.base_model is None:
        return False, "off (set model.llm.base_model to train a LoRA challenger on a GPU)"
    if llm.device == "auto" and not cuda_available():
        return False, f"{llm.base_model} waits for a GPU (no CUDA device visible)"
    with Pool(config.state.pool) as pool:
        labels = pool.count(split="pool", labelled=True)
    if labels < llm.min_labels:
        return False, f"{llm.base_model} from {llm.min_labels} labels ({labels} so far)"
    last = [row for row in registry(config).history() if row.family == "lora"]
    if not last:
        return True, f"{llm.base_model}: the first training is due ({labels} labels)"
    said = f"{last[-1].name} macro-F1 {last[-1].macro_f1:.3f} on {last[-1].labels} labels"
    again = int(-(-(1 + llm.retrain_growth) * last[-1].labels // 1))
    return labels >= again, said + (
        "; the next training is due" if labels >= again else f"; the next from {again} labels"
    )


def llm_due(config: ProjectConfig) -> bool:
    return llm_plan(config)[0]
