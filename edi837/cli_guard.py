"""The one top-level handler around the command line: never a traceback.

An unexpected exception is a defect in edi837, not in the input: it prints one line and
exits 3, so a pipeline never mistakes a crash for "some claims rejected" (exit 1).
``--debug`` (or ``EDI837_DEBUG=1``) shows the traceback. Ctrl-C exits 130 and a closed
standard output (``edi837 check ... | head -1``) exits 141, both without a word, as
command-line tools killed by SIGINT or SIGPIPE do.
"""

from __future__ import annotations

import errno
import os
import sys
from typing import Any, TextIO

import click

from edi837.safetext import bounded

EXIT_OK, EXIT_REJECTED, EXIT_UNREADABLE = 0, 1, 2  # accepted; some rejected; unreadable
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE


_debug = False


def set_debug(on: bool) -> None:
    """The group's ``--debug`` flag, set before any command runs."""
    global _debug
    _debug = on


def debug_wanted() -> bool:
    return _debug or os.environ.get("EDI837_DEBUG", "") not in ("", "0")


def _silence_stdout() -> None:
    """Point standard output at the null device: the interpreter flushes stdout at exit
    and would report the broken pipe a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _is_broken_pipe(exc: BaseException) -> bool:
    return isinstance(exc, BrokenPipeError) or (
        isinstance(exc, OSError) and exc.errno == errno.EPIPE
    )


class GuardedGroup(click.Group):
    """A click group whose ``invoke`` turns whatever escapes a command into an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            try:
                return super().invoke(ctx)
            finally:
                sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            raise SystemExit(EXIT_INTERRUPTED) from None
        except Exception as exc:  # noqa: BLE001 - the one place that catches everything
            if _is_broken_pipe(exc):
                _silence_stdout()
                raise SystemExit(EXIT_BROKEN_PIPE) from None
            if debug_wanted():
                import traceback  # only for --debug: the one place a traceback is shown

                traceback.print_exc(file=sys.stderr)
            message = " ".join(str(exc).split())
            click.echo(
                bounded(f"edi837: internal error: {type(exc).__name__}: {message}", limit=250)
                + " (--debug shows the traceback)",
                err=True,
            )
            raise SystemExit(EXIT_INTERNAL) from None

    def main(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().main(*args, **kwargs)
        except KeyboardInterrupt:  # while parsing options, before any command ran
            raise SystemExit(EXIT_INTERRUPTED) from None
        except BrokenPipeError:
            _silence_stdout()
            raise SystemExit(EXIT_BROKEN_PIPE) from None


class InputError(click.ClickException):
    """A one-line error with exit code 2 (input, feed or policy unreadable)."""

    exit_code = EXIT_UNREADABLE

    def show(self, file: TextIO | None = None) -> None:
        for line in self.message.splitlines() or [""]:  # a feed or policy: every problem
            click.echo(bounded(f"edi837: error: {line}"), err=True)
