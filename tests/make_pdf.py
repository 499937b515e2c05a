"""The tests' PDF writer lives with the eval's (:mod:`ragqa.eval.pdfwriting`)."""

from ragqa.eval.pdfwriting import make_pdf

__all__ = ["make_pdf"]
