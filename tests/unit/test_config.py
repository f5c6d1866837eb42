"""bucle.yaml: the example loads, and each mistake names the file and the key."""

from pathlib import Path

import pytest

from bucle.loop.config import ConfigError, load_config

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "noticias-falsas" / "bucle.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bucle.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_project_loads():
    config = load_config(EXAMPLE)
    assert config.name == "noticias-falsas"
    assert config.ods == [16]
    assert set(config.labels) == {"falsa", "verdadera"}
    assert "Guía de anotación" in config.guidelines_text()
    assert config.server.host == "127.0.0.1"
    assert config.state_dir == EXAMPLE.parent / ".bucle"
    assert config.workspace == "noticias-falsas"
    assert config.annotation.annotators == ["anotadora-1"]
    assert [s.role for s in config.data.sources] == ["pool", "test"]


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("name: x\nlabels: {a: A}\nguidelines: g\n", ["labels", "at least two labels"]),
        ("name: Mi Proyecto\nlabels: {a: A, b: B}\nguidelines: g\n", ["name", "lowercase"]),
        ("name: x\nlabels: {a: A, b: B}\nguidelines: g\nods: [18]\n", ["ods", "1 to 17"]),
        ("name: x\nlabels: {a: A, b: B}\nguidelines: g\nlabelz: 1\n", ["labelz", "unknown key"]),
        ("name: x\nlabels: {a: A, b: B}\nguidelines: g\nserver: {port: 70000}\n", ["server.port"]),
        ("name: x\nlabels: {a: A, b: B}\nguidelines: g\nserver: {host: localhost}\n", ["server.host"]),
        ("labels: {a: A, b: B}\nguidelines: g\n", ["name", "Field required"]),
        (
            "name: x\nlabels: {a: A, b: B}\nguidelines: g\ndata: {metadata: [source, tipo]}\n",
            ["data.metadata", "tipo", "rename the column"],
        ),
        (
            "name: x\nlabels: {a: A, b: B}\nguidelines: g\nannotation: {suggestions: {confirm_share: 1}}\n",
            ["annotation.suggestions.confirm_share"],
        ),
        ("name: x\nlabels: [a, b\n", ["not valid YAML", "line"]),
        ("- just\n- a list\n", ["expected a mapping"]),
        (
            "name: x\nlabels: {a: A, b: B}\nguidelines: g\nloop: {strategy: margen}\n",
            ["loop.strategy", "unknown strategy 'margen'", "margin", "entropy"],
        ),
        ("name: x\nlabels: {a: A, b: B}\nguidelines: g\nloop: {strategy: cold-start}\n", ["unknown strategy"]),
        (
            "name: x\nlabels: {a: A, b: B}\nguidelines: g\nmodel: {body: ./modelos/no-existe}\n",
            ["model.body", "existing folder"],
        ),
        (
            "name: x\nlabels: {a: A, b: B}\nguidelines: g\nmodel: {body: 'mi modelo/v 2'}\n",
            ["model.body", "Hub model id"],
        ),
        (
            "name: x\nlabels: {a: A, b: B}\nguidelines: g\nannotation: {annotators: ['../x']}\n",
            ["annotation.annotators", "lowercase"],
        ),
        ("name: x\nlabels: {a: A, b: B}\nguidelines: g\nserver: {mode: external}\n", ["server", "needs server.url"]),
        (
            "name: x\nlabels: {a: A, b: B}\nguidelines: g\nserver: {mode: external, url: 'https://duena:clave@x.hf.space'}\n",
            ["server", "must not carry credentials"],
        ),
        (
            "name: x\nlabels: {a: A, b: B}\nguidelines: g\nmodel: {llm: {base_model: ./no-existe}}\n",
            ["model.llm.base_model", "existing folder"],
        ),
        ("name: x\nlabels: {a: A, b: B}\nguidelines: g\nmodel: {llm: {device: tpu}}\n", ["model.llm.device"]),
    ],
)
def test_mistakes_name_the_file_and_the_key(tmp_path, text, fragments):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert message.startswith(str(path))
    for fragment in fragments:
        assert fragment in message


def test_missing_file_and_missing_guidelines(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.yaml")
    config = load_config(write(tmp_path, "name: x\nlabels: {a: A, b: B}\nguidelines: guia.md\n"))
    with pytest.raises(ConfigError, match="guidelines: cannot read"):
        config.guidelines_text()


def test_a_body_may_be_a_hub_id_or_an_existing_folder(tmp_path):
    base = "name: x\nlabels: {a: A, b: B}\nguidelines: g\n"
    hub = load_config(
        write(tmp_path, base + "model: {body: sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2}\n")
    )
    assert hub.model.body.startswith("sentence-transformers/")
    (tmp_path / "cuerpo").mkdir()
    assert load_config(write(tmp_path, base + "model: {body: ./cuerpo}\n")).model.body == "./cuerpo"


def test_an_external_server_sends_a_private_spaces_token_and_the_embedded_one_nothing(tmp_path, monkeypatch):
    from bucle.loop.adapters import space_headers

    base = "name: x\nlabels: {a: A, b: B}\nguidelines: g\n"
    external = load_config(
        write(tmp_path, base + "server: {mode: external, url: 'https://somosnlp-argilla.hf.space/'}\n")
    )
    assert external.argilla_url == "https://somosnlp-argilla.hf.space"
    monkeypatch.delenv("HF_TOKEN", raising=False)
    assert space_headers(external) == {}
    monkeypatch.setenv("HF_TOKEN", "hf_prueba")
    assert space_headers(external) == {"Authorization": "Bearer hf_prueba"}
    embedded = load_config(write(tmp_path, base))
    assert space_headers(embedded) == {} and not embedded.external
