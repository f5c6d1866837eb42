"""The Gradio demo: Spanish text in, calibrated label probabilities out, with the model's facts,
a batch mode (CSV in, CSV out) and a way to say "this prediction is wrong".

``build_app`` wires the pieces of ``demo/`` (predictor with hot reload, rate limit, feedback
queue, facts from the registry) into ``gr.Blocks``; ``bucle demo`` launches it on 127.0.0.1.
Each event is exposed to ``gradio_client`` under a stable ``api_name``.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import pandas as pd

from bucle.common.errors import BucleError
from bucle.demo.batch import read_csv_texts, write_predictions
from bucle.publishing.facts import default_examples, model_facts
from bucle.demo.feedback import FeedbackQueue
from bucle.demo.predictor import ChampionPredictor, check_text
from bucle.demo.rate_limit import RateLimiter
from bucle.loop.config import ProjectConfig
from bucle.loop.ingest.language import LanguageCheck
from bucle.loop.context import embedding_cache, registry
from bucle.training.models.setfit_model import SetFitClassifier

MIN_WORDS = 5  # a shorter text gets a warning beside its prediction


@dataclass
class DemoParts:
    predictor: ChampionPredictor
    limiter: RateLimiter
    feedback: FeedbackQueue
    language: LanguageCheck


def parts(config: ProjectConfig) -> DemoParts:
    def attach_cache(model):
        if isinstance(model, SetFitClassifier):
            model.cache = embedding_cache(config)
        return model

    return DemoParts(
        ChampionPredictor(registry(config), config.demo.max_chars, attach_cache),
        RateLimiter(config.demo.rate_limit_per_minute),
        FeedbackQueue(config),
        LanguageCheck(config.data.language, config.data.language_confidence),
    )


def _client(request: gr.Request | None) -> str:
    return request.client.host if request is not None and request.client is not None else "local"


def _user_error(error: BucleError) -> gr.Error:
    return gr.Error(str(error), print_exception=False)


def build_app(config: ProjectConfig, demo_parts: DemoParts | None = None) -> gr.Blocks:
    p = demo_parts or parts(config)
    labels = list(config.labels)

    def predict(text: str, request: gr.Request):
        try:
            p.limiter.check(_client(request))
            prediction = p.predictor.predict([text])[0]
        except BucleError as error:
            raise _user_error(error) from None
        version = f"Modelo **{prediction.version}** · etiqueta más probable: **{config.labels[prediction.label]}**"
        foreign = p.language.foreign(text)
        if foreign is not None:  # predicted anyway, with a warning: the user may know better
            version += (
                f"\n\n⚠️ El texto no parece estar en español (detectado: {foreign[0]}, {foreign[1]:.2f}); "
                "el modelo se entrenó con textos en español y esta predicción puede no ser fiable."
            )
        return prediction.probabilities, version, {"label": prediction.label, "version": prediction.version}

    def send_feedback(text: str, label: str, last: dict | None, request: gr.Request):
        try:
            p.limiter.check(_client(request))
            cleaned = check_text(text, config.demo.max_chars)
            if not last:
                raise BucleError("Primero pide una predicción para este texto.")
            if not label:
                raise BucleError("Elige la etiqueta correcta en la lista.")
            if label == last["label"]:
                raise BucleError(
                    "Esa es la etiqueta que predijo el modelo: si es incorrecta, elige la que corresponde."
                )
            p.feedback.submit(cleaned, label, last["label"], last["version"])
        except BucleError as error:
            raise _user_error(error) from None
        return (
            "¡Gracias! Tu corrección irá a revisión por el equipo anotador; no entra directamente en el entrenamiento."
        )

    def predict_file(upload: str | None, request: gr.Request):
        try:
            if upload is None:
                raise BucleError("Sube un archivo CSV con una columna «text».")
            texts = read_csv_texts(upload, config.demo.max_batch_rows)
            p.limiter.check(_client(request), cost=1 + len(texts) / 50)
            version, model = p.predictor.model()
        except BucleError as error:
            raise _user_error(error) from None
        rows, valid = [], []
        for text, unreadable in texts:  # a bad row gets its message; the others are still classified
            shown = text if len(text) <= config.demo.max_chars else text[: config.demo.max_chars] + "…"
            try:
                if unreadable:
                    raise BucleError(unreadable)
                valid.append((len(rows), check_text(text, config.demo.max_chars)))
                rows.append({"text": shown, "error": "", "warning": _warning(text)})
            except BucleError as error:
                rows.append({"text": shown, "error": str(error), "warning": ""})
        probs = model.predict_proba([cleaned for _, cleaned in valid]) if valid else []
        for (index, _), row in zip(valid, probs):
            rows[index].update(
                {
                    "label": model.classes[int(row.argmax())],
                    "model": version,
                    **{f"p_{label}": round(float(v), 4) for label, v in zip(model.classes, row)},
                }
            )
        path = write_predictions(rows, Path(tempfile.mkdtemp(prefix="bucle-demo-")) / "predicciones.csv")
        shown = pd.DataFrame(rows).rename(
            columns={"text": "texto", "label": "etiqueta", "error": "error", "warning": "aviso", "model": "modelo"}
        )
        return str(path), shown

    def _warning(text: str) -> str:
        """Why a prediction may not be worth much, said beside it rather than refused."""
        notes = []
        if len(text.split()) < MIN_WORDS:
            notes.append(f"texto muy corto (menos de {MIN_WORDS} palabras)")
        foreign = p.language.foreign(text)
        if foreign is not None:
            notes.append(f"no parece español (detectado: {foreign[0]})")
        return "; ".join(notes)

    def about():
        try:
            version, _ = p.predictor.model()
        except BucleError as error:
            return str(error), pd.DataFrame(columns=["etiquetas", "macro-F1", "familia"]), ""
        facts = model_facts(p.predictor.registry, version)
        if facts.family == "tfidf":
            reference = "es la propia referencia TF-IDF (palabras y caracteres con regresión logística)"
        else:
            base = f"{facts.baseline_macro_f1:.3f}" if facts.baseline_macro_f1 is not None else "—"
            reference = f"referencia TF-IDF de la misma ronda: {base}"
        text = (
            f"**{facts.version}** ({facts.family}), entrenado con {facts.labels} etiquetas.\n\n"
            f"Macro-F1 en el conjunto de prueba congelado: **{facts.macro_f1:.3f}** "
            f"(IC 95 %: {facts.interval[0]:.3f}–{facts.interval[1]:.3f}); exactitud {facts.accuracy:.3f}; "
            f"{reference}."
        )
        # label counts as categories: a numeric axis ticks at half labels between two versions
        ticks = [str(n) for n in sorted({n for n, _, _ in facts.curve})]
        curve = pd.DataFrame(
            [{"etiquetas": str(n), "macro-F1": f1, "familia": v.split("-", 1)[1]} for n, f1, v in facts.curve]
        )
        return text, gr.LinePlot(value=curve, sort=ticks), facts.limitations

    with gr.Blocks(title=config.title or config.name) as app:
        gr.Markdown(
            f"# {config.title or config.name}\n\nClasificador de textos en español entrenado con bucle "
            f"(ODS {', '.join(str(g) for g in config.ods) or '—'}). Etiquetas: "
            + ", ".join(f"**{v}**" for v in config.labels.values())
            + "."
        )
        with gr.Tab("Probar"):
            text = gr.Textbox(
                label="Texto en español",
                lines=6,
                max_length=config.demo.max_chars,
                placeholder="Pega aquí una noticia, un mensaje…",
                elem_id="texto",
            )
            button = gr.Button("Clasificar", variant="primary", elem_id="clasificar")
            result = gr.Label(label="Probabilidades (calibradas)", num_top_classes=len(labels), elem_id="resultado")
            version = gr.Markdown(elem_id="version")
            last = gr.State(None)
            examples = default_examples(config)
            if examples:
                gr.Examples(examples=[[e] for e in examples], inputs=[text], label="Ejemplos")
            with gr.Accordion("¿La predicción es incorrecta?", open=False):
                correct = gr.Dropdown(
                    choices=[(config.labels[k], k) for k in labels],
                    value=None,
                    label="Etiqueta correcta",
                    elem_id="correcta",
                )
                send = gr.Button("Enviar corrección", elem_id="enviar")
                thanks = gr.Markdown(elem_id="gracias")
            button.click(predict, [text], [result, version, last], api_name="predict")
            text.submit(predict, [text], [result, version, last], api_name=False)
            send.click(send_feedback, [text, correct, last], [thanks], api_name="feedback")
        with gr.Tab("Lote (CSV)"):
            upload = gr.File(label="CSV con una columna «text»", file_types=[".csv"], type="filepath")
            run = gr.Button("Clasificar el archivo")
            download = gr.File(label="Predicciones")
            table = gr.Dataframe(
                label="Resultados (avisos: textos muy cortos o en otra lengua)", elem_id="tabla", wrap=True
            )
            run.click(predict_file, [upload], [download, table], api_name="predict_csv")
        with gr.Tab("Sobre el modelo"):
            summary = gr.Markdown()
            curve = gr.LinePlot(x="etiquetas", y="macro-F1", color="familia", title="Curva de aprendizaje")
            gr.Markdown("### Limitaciones y sesgos (de la ficha del modelo)")
            limitations = gr.Markdown()
            app.load(about, None, [summary, curve, limitations], api_name="about")
    return app.queue(default_concurrency_limit=2, max_size=64)
