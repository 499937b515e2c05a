"""Answers written by an OpenAI-compatible LLM from the retrieved passages, with citations."""
