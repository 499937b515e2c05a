"""A reader of ragqa's own: per (question, passage) an answerability score and the best
answer span, from the bundled e5's weights with a few top layers and two heads trained on
PIAF (see ``eval/reader_train.py`` and ``eval/results/reader.md``)."""
