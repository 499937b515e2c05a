"""``python -m ragqa``: the ``ragqa`` command."""

from ragqa.cli import main

if __name__ == "__main__":  # pragma: no cover
    main(prog_name="ragqa")
