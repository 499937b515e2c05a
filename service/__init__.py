"""ragqa's edges: settings, the `ragqa` CLI and the HTTP service."""
