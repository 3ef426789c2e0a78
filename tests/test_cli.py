from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from callqa.cli import app

from conftest import mono_call

runner = CliRunner()


@pytest.fixture(autouse=True)
def _restore_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # --work-dir exports CALLQA_HOME for the process; keep that from leaking into other tests.
    monkeypatch.setenv("CALLQA_HOME", str(Path.cwd() / ".callqa"))


@pytest.mark.parametrize("command", ["transcribe", "score", "models"])
def test_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_models_lists_packaged_models(work_dir: Path) -> None:
    result = runner.invoke(app, ["models", "--work-dir", str(work_dir)])
    assert result.exit_code == 0
    assert "tiny.en" in result.output and "ready" in result.output


def test_bad_setting_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["transcribe", "--agent-channel", "middle", str(tmp_path / "x.wav")])
    assert result.exit_code == 2 and "agent_channel" in result.output


def test_unknown_model_is_a_clear_error(tmp_path: Path, work_dir: Path) -> None:
    result = runner.invoke(app, ["score", str(tmp_path), "--model", "large-v3", "--out", str(tmp_path / "o"), "--work-dir", str(work_dir)])
    assert result.exit_code == 2 and "large-v3" in result.output and "tiny.en" in result.output


@pytest.mark.slow
def test_transcribe_prints_roles_and_times(work_dir: Path) -> None:
    audio, _ = mono_call()
    result = runner.invoke(app, ["transcribe", str(audio), "--work-dir", str(work_dir)])
    assert result.exit_code == 0, result.output
    assert "agent" in result.output and "customer" in result.output and "[00:" in result.output


@pytest.mark.slow
def test_score_writes_records_and_exits_nonzero_on_failures(tmp_path: Path, work_dir: Path, prefect_harness) -> None:
    audio, _ = mono_call()
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    out = tmp_path / "out"
    result = runner.invoke(app, ["score", str(audio), str(bad), "--out", str(out), "--work-dir", str(work_dir), "--no-progress"])
    assert result.exit_code == 1, result.output
    assert "1 scored, 1 failed" in result.output and "not_audio" in result.output
    record = json.loads((out / "records" / f"{audio.stem}.json").read_text())
    assert record["status"] == "scored" and record["speakers"]["method"] == "voice"  # mono: told apart by voice


@pytest.mark.slow
def test_eval_text_prints_tables() -> None:
    from conftest import SAMPLES

    result = runner.invoke(app, ["eval", str(SAMPLES), "--text", "--markdown"])
    assert result.exit_code == 0, result.output
    assert "| need |" in result.output and "all flags (micro)" in result.output


def test_eval_needs_a_labels_folder_or_styles(tmp_path: Path) -> None:
    assert runner.invoke(app, ["eval"]).exit_code == 2
    result = runner.invoke(app, ["eval", str(tmp_path), "--styles", "--text"])
    assert result.exit_code == 2 and "--styles" in result.output


@pytest.mark.slow
def test_eval_styles_scores_each_style_with_its_calls(tmp_path: Path) -> None:
    # A small corpus: two calls in one style, one in dev; the rules reading needs no training.
    corpus = tmp_path / "corpus"
    (corpus / "styles" / "casual" / "text").mkdir(parents=True)
    (corpus / "dev").mkdir()
    source = Path("corpus/styles/casual/text")
    for name in sorted(p.name for p in source.glob("*.labels.json"))[:2]:
        (corpus / "styles" / "casual" / "text" / name).write_bytes((source / name).read_bytes())
    dev = sorted(Path("corpus/dev").rglob("*.labels.json"))[0]
    (corpus / "dev" / dev.name).write_bytes(dev.read_bytes())
    figures = tmp_path / "styles.json"
    result = runner.invoke(app, ["eval", "--styles", "--corpus", str(corpus), "--samples", str(tmp_path / "none"),
                                 "--real-calls", str(tmp_path / "none"), "--reading", "rules", "--json", str(figures)])
    assert result.exit_code == 0, result.output
    assert "**rules reading**" in result.output and "| casual | 2 |" in result.output and "| dev | 1 |" in result.output
    data = json.loads(figures.read_text())
    assert list(data) == ["rules"] and [s["style"] for s in data["rules"]["styles"]] == ["casual", "dev"]
    assert data["rules"]["real_calls"] is None


@pytest.mark.slow
def test_eval_styles_only_some_styles_adds_a_pooled_row(tmp_path: Path) -> None:
    # The held-out styles are scored alone with --only; two or more get a pooled row.
    corpus = tmp_path / "corpus"
    for style in ("casual", "terse"):
        (corpus / "styles" / style / "text").mkdir(parents=True)
        source = Path(f"corpus/styles/{style}/text")
        for name in sorted(p.name for p in source.glob("*.labels.json"))[:2]:
            (corpus / "styles" / style / "text" / name).write_bytes((source / name).read_bytes())
    (corpus / "dev").mkdir()
    dev = sorted(Path("corpus/dev").rglob("*.labels.json"))[0]
    (corpus / "dev" / dev.name).write_bytes(dev.read_bytes())
    figures = tmp_path / "styles.json"
    common = ["eval", "--styles", "--corpus", str(corpus), "--samples", str(tmp_path / "none"), "--real-calls", str(tmp_path / "none"),
              "--reading", "rules"]
    result = runner.invoke(app, [*common, "--only", "casual", "--only", "terse", "--json", str(figures)])
    assert result.exit_code == 0, result.output
    assert "| pooled | 4 |" in result.output and "| dev |" not in result.output
    assert [s["style"] for s in json.loads(figures.read_text())["rules"]["styles"]] == ["casual", "terse", "pooled"]
    result = runner.invoke(app, [*common, "--only", "formal"])
    assert result.exit_code == 2 and "no labelled style formal" in result.output


def test_bad_policy_stops_the_batch_before_any_call(tmp_path: Path, work_dir: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("max_closing_attempts: zero\nscorecard: []\n")
    result = runner.invoke(app, ["score", str(tmp_path), "--policy", str(policy), "--out", str(tmp_path / "o"), "--work-dir", str(work_dir)])
    assert result.exit_code == 2 and "policy error" in result.output and "max_closing_attempts" in result.output
    assert not (tmp_path / "o").exists()
