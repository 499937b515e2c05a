"""Measuring retrieval quality (``ragqa eval``) and speed (``ragqa bench``) with the same
retrieval code as the service: engines come from the composition root, ``ragqa.wiring``."""
