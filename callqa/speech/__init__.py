"""Speech: audio decoding, voice activity, Whisper backends, the hallucination guard, voices,
speaker roles and the per-call transcription, with their rule files (rules/) beside them."""

SPEECH_RULES = __name__  # the package whose rules/ holds the speech rule files
