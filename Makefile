# make demo   set up everything, then train the default image recipe and its direct baseline
# make test   set up everything, then lint and run the test suite (slow tests excluded)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.setup-stamp

.PHONY: setup system demo test test-slow lint format bench clean

setup: system $(STAMP)

system:
	bash scripts/setup_system.sh

# torch first and pinned exactly: anything else pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

demo: setup
	$(BIN)/regen demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/pytest -q

test-slow: setup
	$(BIN)/pytest -q -m slow

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	$(BIN)/python -m benchmarks.image_regen_vs_direct
	$(BIN)/python -m benchmarks.vs_diffusers
	$(BIN)/python -m benchmarks.tts_regen_vs_direct
	$(BIN)/python -m benchmarks.tts_rq6
	$(BIN)/python -m benchmarks.tts_flow
	$(BIN)/python -m benchmarks.tts_codes_ar
	OMP_NUM_THREADS=1 $(BIN)/python -m benchmarks.tts_vocoder_gan
	$(BIN)/python -m benchmarks.asr_regen_vs_direct
	$(BIN)/python -m benchmarks.melody_regen_vs_direct
	$(BIN)/python -m benchmarks.studies
	OMP_NUM_THREADS=1 $(BIN)/python -m benchmarks.data_streaming
	OMP_NUM_THREADS=1 $(BIN)/python -m benchmarks.sound_regen_vs_direct
	OMP_NUM_THREADS=1 $(BIN)/python -m benchmarks.video_regen_vs_direct
	$(BIN)/python -m benchmarks.text_regen_vs_direct

clean:
	rm -rf $(VENV) runs
