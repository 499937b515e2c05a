"""``ragqa bench``: speed of the model, the index build, the HTTP service, peers and scale."""
