"""Who spoke on real recorded calls: the Harper Valley Bank calls in ../shared/data/real_calls
(one file per party, human transcripts), built into mono mixes and one-voice files at run time.

These rest on 3 calls; they guard the behaviour, they do not measure it (bench/real_calls.py does)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

real = pytest.importorskip("bench.real_calls")
if not real.HVB.is_dir():
    pytest.skip(f"real calls not found under {real.DATA}", allow_module_level=True)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[object, dict[str, Path]]]:
    folder = tmp_path_factory.mktemp("real_calls")
    out = {}
    for n, sid in enumerate(real.CALLS):
        call = real.load_call(sid)
        out[sid] = (call, real.write_inputs(call, folder, agent_left=n % 2 == 0))
    return out


@pytest.fixture(scope="module")
def transcribed(settings):
    """transcribe(path) -> CallTranscription, each input decoded once for all tests of the module."""
    from callqa.speech.transcription import transcribe_call

    done: dict[Path, object] = {}

    def transcribe(path: Path):
        if path not in done:
            done[path] = transcribe_call(path, settings)
        return done[path]

    return transcribe


@pytest.mark.parametrize("sid", real.CALLS)
@pytest.mark.parametrize("kind, role", [("agent_only", "agent"), ("caller_only", "customer")])
def test_one_party_alone_is_one_voice_given_to_that_party(inputs, settings, sid: str, kind: str, role: str) -> None:
    """The issue's bar: >= 0.95 of a one-voice recording's words to the right party. The callers
    introduce themselves ("hi, my name is Linda Garcia") like the agents: the name alone must
    not make them the agent."""
    from callqa.speech.transcription import transcribe_call

    _, paths = inputs[sid]
    result = transcribe_call(paths[kind], settings)
    words = [s.speaker for s in result.transcript.segments for _ in s.words]
    assert result.speakers.voices == 1 and "one voice" in result.speakers.reason, result.speakers.reason
    assert result.speakers.warnings
    assert sum(r == role for r in words) / len(words) >= 0.95, result.speakers.reason


def test_real_two_party_mono_mixes_are_separated_word_by_word(inputs, transcribed) -> None:
    total = real.Score()
    for sid, (call, paths) in inputs.items():
        result = transcribed(paths["mono"])
        assert result.speakers.voices == 2, (sid, result.speakers.reason)
        assert set(result.speakers.segment_confidence) == {s.id for s in result.transcript.segments}
        total.add(real.score(call.ref_words, real.hyp_words(result)))
    # 3 calls, ~230 matched words; 0.991 measured with tiny.en when this test was written.
    assert total.matched >= 150 and total.who >= 0.95, (total.role_right, total.matched)


# Measured with the default settings (bench/real_calls.py, 3 calls, 247 reference words) when
# this bound was set; a regression bound, not a claim about other calls.
STEREO_ERRORS_BOUND = 21  # WER 0.085: 16 substitutions, 3 deletions, 2 insertions


def test_real_stereo_calls_invent_no_more_words_than_measured(inputs, transcribed) -> None:
    total = real.Score()
    for sid, (call, paths) in inputs.items():
        result = transcribed(paths["stereo"])
        assert result.speakers.method == "channel", (sid, result.speakers.reason)
        # The parties were recorded apart: nothing leaks, so the crosstalk guard has nothing to drop.
        assert not [d for c in result.channels for d in c.dropped if d.reason == "crosstalk"], sid
        total.add(real.score(call.ref_words, real.hyp_words(result)))
    assert total.ref == 247
    assert total.sub + total.dele + total.ins <= STEREO_ERRORS_BOUND, (total.wer, total.sub, total.dele, total.ins)
    assert total.wer <= 0.10
    assert total.ins <= 2, total.ins


def test_no_offer_and_no_flag_on_the_real_service_calls_from_audio(inputs, transcribed, settings, tmp_path: Path) -> None:
    """The real calls are service calls with no sale: read from their audio (stereo builds, mono
    mixes and the real mu-law stereo call) through the per-call path of the batch flow, none may
    get an offer or a flag. tiny.en's errors must not turn into findings: before this test it
    read "Which part did you like to replace?" as a close and took the bank's name in the
    greeting for the product."""
    from callqa.record import read_record, record_path, write_record
    from flows.call import CallSteps, score_call
    from flows.discover import CallInput
    from nlp.analyse import AnalysisSettings, analyse
    from nlp.policy import cached_policy

    policy = cached_policy(None)
    steps = CallSteps(
        transcribe=lambda call_id, path, sha: (transcribed(path), False),
        analyse=lambda result: analyse(result.transcript, AnalysisSettings(policy, settings.sentiment_model_dir)),
        write=lambda record: write_record(tmp_path, record),
    )
    # the call id is the file's stem, as discovery names it and the shared transcription has it
    paths = [paths[kind] for _, paths in inputs.values() for kind in ("stereo", "mono")]
    genesys = real.DATA / "genesys_store_order_questions_ulaw_stereo.wav"
    calls = [CallInput(path.stem, path) for path in paths + ([genesys] if genesys.is_file() else [])]
    assert len(calls) >= 6
    for call in calls:
        done = score_call(call, tmp_path, settings, policy, steps)
        assert done.status == "scored", (call.call_id, done)
        record = read_record(record_path(tmp_path, call.call_id))
        assert record is not None and record.status == "scored", (call.call_id, record and record.error)
        said = [(s.speaker, s.text) for s in record.transcript]
        assert record.offers == (), (call.call_id, [o.evidence for o in record.offers], said)
        assert record.flags == (), (call.call_id, [(f.code, f.message) for f in record.flags], said)
