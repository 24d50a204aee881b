"""Console entry point (``edi837`` and ``python -m edi837``).

Pipelines probe the tool (``edi837 --version``) far more often than they screen with it;
that answer needs neither click nor the reader, so it is given before either is imported.
Everything else goes to the click application in ``edi837.cli``.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from edi837 import __version__

        sys.stdout.write(f"edi837, version {__version__}\n")
        return
    from edi837.cli import main as cli

    cli()


if __name__ == "__main__":
    main()
