# Two commands on a fresh machine: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
OUT ?= out
PIP := $(BIN)/pip install --quiet --disable-pip-version-check

.PHONY: setup run test test-fast bench samples train clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	@# torch first: this CPU build comes from local disk; any later unpinned torch
	@# requirement would otherwise pull a multi-GB CUDA build.
	$(PIP) torch==2.13.0
	@# openai-whisper without its triton dependency (~1 GB, CUDA only) and resemblyzer without
	@# its sdist-only webrtcvad; their real dependencies are in pyproject.toml.
	$(PIP) --no-deps openai-whisper==20250625 resemblyzer==0.1.4
	$(PIP) -e '.[test]'
	@# MiniLM's int8 ONNX model (models/cache/), so no worker has to build it on its first call
	$(BIN)/python -m models.embeddings build
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/callqa score audio_samples --out $(OUT) --metadata audio_samples/metadata.csv; status=$$?; \
	echo; echo "Review the calls in a browser:  $(BIN)/callqa serve --out $(OUT)   then open http://127.0.0.1:8000/"; \
	exit $$status

test: setup
	$(BIN)/python -m pytest -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

bench: setup
	$(BIN)/python bench/transcribe.py

# Rebuild the turn-act, need, need-fit and product-span models (models/turn_acts, models/need_model, models/need_fit,
# models/product_span)
# from the corpus: seeded, a few minutes on two cores (embeddings cached in .callqa/); each card records the data hash.
train: setup
	$(BIN)/python -m nlp.acts train
	$(BIN)/python -m nlp.need_model train
	$(BIN)/python -m nlp.need_fit_model train
	$(BIN)/python -m nlp.upset_model train
	$(BIN)/python -m nlp.product_span train

# Re-render the bundled calls from their scripts (needs Debian's espeak-ng and ffmpeg).
samples: setup
	$(BIN)/python audio_samples/render.py

clean:
	rm -rf $(OUT) .callqa .pytest_cache
