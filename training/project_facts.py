"""What both cards say of the project, as its owner set it in bucle.yaml: one object that the
model card's facts (``model_card.ModelFacts``) and the dataset card's (``dataset_card.DatasetFacts``)
nest, as SetFit's ``SetFitModelCardData`` keeps what the user sets apart from what training fills.
"""

from __future__ import annotations

from dataclasses import dataclass

ODS_NAMES = {
    1: "Fin de la pobreza",
    2: "Hambre cero",
    3: "Salud y bienestar",
    4: "Educación de calidad",
    5: "Igualdad de género",
    6: "Agua limpia y saneamiento",
    7: "Energía asequible y no contaminante",
    8: "Trabajo decente y crecimiento económico",
    9: "Industria, innovación e infraestructura",
    10: "Reducción de las desigualdades",
    11: "Ciudades y comunidades sostenibles",
    12: "Producción y consumo responsables",
    13: "Acción por el clima",
    14: "Vida submarina",
    15: "Vida de ecosistemas terrestres",
    16: "Paz, justicia e instituciones sólidas",
    17: "Alianzas para lograr los objetivos",
}


@dataclass(frozen=True)
class ProjectFacts:
    name: str
    title: str
    ods: list[int]
    license: str
    labels: dict[str, str]  # label -> its description, in bucle.yaml's order
    dataset_repo: str = ""  # the published repositories; "" before any is set
    model_repo: str = ""
    code_url: str = ""  # where bucle's code is published: the cards link the scripts that made data and models

    @property
    def classes(self) -> list[str]:
        return list(self.labels)

    @property
    def display_title(self) -> str:
        return self.title or self.name

    @property
    def goals(self) -> str:
        """The declared SDGs in words, for the cards' Spanish sections."""
        return ", ".join(f"ODS {g} ({ODS_NAMES.get(g, '?')})" for g in self.ods) or "sin ODS declarado"
