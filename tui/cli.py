"""The `sleuth` command line: a thin shell over ResearchAgent. `--help` imports nothing heavy."""

from __future__ import annotations

from sleuth.tui import cli_ask, cli_eval, cli_ingest, cli_memory, cli_serve  # noqa: F401  (each registers its commands)
from sleuth.tui.shell import app


def main() -> None:
    app()


if __name__ == "__main__":
    main()
