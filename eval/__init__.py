"""Measuring retrieval quality and speed with the same retrieval code as the service."""
