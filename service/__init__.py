"""The HTTP service: ``create_app(settings)`` (app.py), its routes (api/), the live index that
uploads and deletes swap atomically (live.py), corpus writes (corpus.py) and the one mapping
of our errors to HTTP statuses (errors.py). Settings and the engine come from ``ragqa``."""
