"""The HTTP service: ``create_app(settings)`` (app.py), its routes (api/), and the one
mapping of our errors to HTTP statuses (errors.py). Settings and the engine (whose store
reads and writes the index) come from ``ragqa``; nothing here asks which store it is."""
