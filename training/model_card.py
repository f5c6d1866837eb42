"""The model card, filled from the run's own records (as SetFit's ``model_card.py`` fills its
card data from training callbacks): ``ModelFacts`` collects what happened; ``build_card`` renders
it with ``huggingface_hub.ModelCard``; ``validate_offline`` parses the YAML back with
``ModelCardData`` and ``model_index_to_eval_results`` (``RepoCard.validate()`` needs the Hub).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from huggingface_hub import EvalResult, ModelCard, ModelCardData
from huggingface_hub.repocard_data import model_index_to_eval_results

from bucle.training.dataset_card import CardError, script_links
from bucle.training.project_facts import ProjectFacts

TEMPLATE = Path(__file__).resolve().parent / "templates" / "model_card.md"


@dataclass
class ModelFacts:
    project: ProjectFacts
    version: str
    family: str
    base_model: str | None
    hyperparameters: dict[str, Any]
    temperature: float
    train_size: int
    test_size: int
    evaluation: dict[str, Any]
    baseline: dict[str, Any] | None  # the TF-IDF evaluation of the same round
    champion: tuple[str, dict[str, Any]] | None  # the previous champion and its evaluation
    decision: str
    slices: dict[str, list[dict[str, Any]]]
    counterfactual: dict[str, Any]
    carbon: dict[str, Any]
    curve: list[dict[str, Any]] = field(default_factory=list)
    grams_per_point: float | None = None
    bootstrap: int = 1000
    fine_tuned: bool = False
    confirmations: dict[str, Any] | None = None  # confident suggestions annotators confirmed (loop.confirmations)


HUB_MODEL_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")  # org/name: a local folder is no base_model


def _row(name: str, evaluation: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "macro_f1": evaluation["macro_f1"],
        "low": evaluation["macro_f1_low"],
        "high": evaluation["macro_f1_high"],
        "accuracy": evaluation["accuracy"],
        "brier": evaluation["brier"],
        "ece": evaluation["ece"],
    }


SCRIPTS = (
    ("ingesta y limpieza / ingest and cleaning", "loop/ingest/pipeline.py"),
    ("entrenamiento / training", "training/run.py"),
    ("evaluación / evaluation", "training/evaluation.py"),
    ("sesgo / bias", "training/bias.py"),
    ("bucle activo / active-learning loop", "loop/rounds.py"),
)


LIBRARY = {"setfit": "setfit", "tfidf": "sklearn", "lora": "peft"}  # each family's library, as the Hub names it


def _usage(facts: ModelFacts) -> str:
    where = facts.project.model_repo or f".bucle/registry/versions/{facts.version}/model"
    if facts.family == "setfit":
        return (
            f'from setfit import SetFitModel\n\nmodel = SetFitModel.from_pretrained("{where}")\n'
            'model.predict_proba(["Texto en español que clasificar."])'
        )
    if facts.family == "lora":
        pad = facts.hyperparameters.get("pad_token_id")
        return (
            "from peft import AutoPeftModelForSequenceClassification\nfrom transformers import AutoTokenizer\n\n"
            f'model = AutoPeftModelForSequenceClassification.from_pretrained("{where}", num_labels={len(facts.project.labels)}, '
            f'pad_token_id={pad})\ntokenizer = AutoTokenizer.from_pretrained("{where}")\n'
            'inputs = tokenizer(["Texto en español que clasificar."], return_tensors="pt", padding=True)\n'
            "model(**inputs).logits.softmax(-1)  # columns: " + ", ".join(facts.project.labels)
        )
    load = f'hf_hub_download("{where}", "pipeline.skops")' if facts.project.model_repo else f'"{where}/pipeline.skops"'
    return (
        "import skops.io\n"
        + ("from huggingface_hub import hf_hub_download\n" if facts.project.model_repo else "")
        + f'\npipeline = skops.io.load({load})\npipeline.predict_proba(["Texto en español que clasificar."])'
    )


def _procedure(facts: ModelFacts) -> str:
    if facts.family == "lora":
        return (
            "Adaptadores LoRA (peft) en todas las capas lineales del modelo base y cabeza de clasificación, con "
            "parada temprana en una partición de validación / LoRA adapters on every linear layer of the base "
            "model and a classification head, early-stopped on a validation split"
        )
    if facts.fine_tuned:
        return (
            "Ajuste contrastivo del cuerpo (SetFit) y cabeza de regresión logística / contrastive body fine-tuning "
            "and a logistic-regression head"
        )
    if facts.family == "setfit":
        return (
            "Cabeza de regresión logística reentrenada sobre embeddings en caché / head refitted on cached embeddings"
        )
    return (
        "TF-IDF de palabras y caracteres con regresión logística / word and character TF-IDF with logistic regression"
    )


def build_card(facts: ModelFacts) -> ModelCard:
    evaluation, project = facts.evaluation, facts.project
    dataset_name = project.dataset_repo or project.name
    eval_results = [
        EvalResult(
            task_type="text-classification",
            dataset_type=dataset_name,
            dataset_name=project.display_title,
            dataset_split="test",
            metric_type=metric,
            metric_name=name,
            metric_value=round(value, 4),
        )
        for metric, name, value in (
            ("f1", "macro-F1", evaluation["macro_f1"]),
            ("accuracy", "accuracy", evaluation["accuracy"]),
        )
    ]
    card_data = ModelCardData(
        language=["es"],
        license=project.license,
        library_name=LIBRARY[facts.family],
        base_model=facts.base_model if facts.base_model and HUB_MODEL_ID.match(facts.base_model) else None,
        model_name=f"{project.name}-{facts.version}",
        eval_results=eval_results,
        co2_eq_emissions={
            "emissions": round(facts.carbon["grams_co2eq"], 4),
            "source": "codecarbon",
            "training_type": "fine-tuning"
            if facts.fine_tuned or facts.family == "lora"
            else "head-only refit"
            if facts.family == "setfit"
            else "training",
            "geographical_location": facts.carbon.get("country", ""),
            "hardware_used": facts.carbon.get("hardware", ""),
        },
        pipeline_tag="text-classification",
        datasets=[project.dataset_repo] if project.dataset_repo else None,
        tags=["bucle", "text-classification", facts.family, *(f"ods-{goal}" for goal in project.ods)],
    )
    comparison = [_row(f"**{facts.version}** ({facts.family})", evaluation)]
    if facts.baseline is not None:
        comparison.append(_row("TF-IDF + LR (línea base / baseline)", facts.baseline))
    if facts.champion is not None:
        comparison.append(_row(f"{facts.champion[0]} (campeón anterior / previous champion)", facts.champion[1]))
    limitations = [
        "Solo español; rendimiento no medido en otras lenguas ni variedades poco representadas. / Spanish only.",
        f"Evaluado en {facts.test_size} textos: véase el intervalo de confianza. / Small test set: mind the interval.",
        "Sugerencias para personas anotadoras y usuarias, no decisiones automáticas. / Suggestions, not decisions.",
    ]
    if facts.counterfactual.get("flipped_share", 0) > 0.02:
        limitations.append("Sensible al género de las palabras del texto (véase el contrafactual). / Gender-sensitive.")
    per_point = (
        f"{facts.grams_per_point:.3f} g CO₂eq por punto de macro-F1 ganado sobre el campeón anterior."
        if facts.grams_per_point is not None
        else ""
    )
    return ModelCard.from_template(
        card_data,
        template_path=str(TEMPLATE),
        title=f"{project.display_title} — {facts.version}",
        summary_es=f"Clasificador de textos en español ({', '.join(project.labels)}) entrenado con bucle; familia {facts.family}.",
        summary_en=f"Spanish text classifier ({', '.join(project.labels)}) trained with bucle; {facts.family} family.",
        intended_es=f"Sugerir etiquetas a personas anotadoras en Argilla y ofrecer una demostración pública. Contribuye a: {project.goals}.",
        intended_en="Suggest labels to annotators in Argilla and power a public demo.",
        dataset_name=dataset_name,
        dataset_link=f"https://huggingface.co/datasets/{project.dataset_repo}"
        if project.dataset_repo
        else "../export/README.md",
        train_size=facts.train_size,
        test_size=facts.test_size,
        family=facts.family,
        base_model=facts.base_model,
        body_weights=facts.hyperparameters.get("body_weights"),
        procedure=_procedure(facts),
        temperature=facts.temperature,
        hyperparameters=sorted(facts.hyperparameters.items()),
        bootstrap=facts.bootstrap,
        comparison=comparison,
        decision=facts.decision,
        per_class=list(evaluation["per_class"].items()),
        curve=facts.curve,
        ece=evaluation["ece"],
        brier=evaluation["brier"],
        slices=list(facts.slices.items()),
        counterfactual=facts.counterfactual,
        carbon=facts.carbon,
        per_point=per_point,
        confirmations=facts.confirmations if facts.confirmations and facts.confirmations["answered"] else None,
        limitations=limitations,
        usage=_usage(facts),
        scripts=script_links(project.code_url, SCRIPTS),
        reproduce="bucle --project bucle.yaml ingest\nbucle --project bucle.yaml train",
    )


def validate_offline(card: ModelCard) -> ModelCardData:
    data = ModelCard(str(card)).data
    if not data.language or not data.license:
        raise CardError("the model card lacks language or licence")
    if not data.eval_results:
        raise CardError("the model card has no model-index results")
    model_index_to_eval_results(data.to_dict()["model-index"])
    if not data.co2_eq_emissions or "emissions" not in data.co2_eq_emissions:
        raise CardError("the model card lacks co2_eq_emissions")
    return data
