"""The config file: ``edi837.toml`` with a ``[check]`` and a ``[run]`` table.

Why click's ``default_map``: every option of ``check`` and ``run`` (including ones added
later) becomes configurable without code here; a key is the option's long name
(``no-history`` or ``no_history``, ``277ca``, ``format``). The command line wins over the
file; an environment variable an option reads (``EDI837_HISTORY``) wins over the file
too, as click orders them. The file is ``--config FILE`` (on ``edi837`` or on the
command), else the first ``edi837.toml`` in the working folder or a folder above it, up
to the home folder or the filesystem root. Relative paths in it (feeds, outputs, a
policy file, the drop folders) are taken from the folder the file is in, as ruff and
flake8 read theirs: a file found from a sub-folder means the same thing from anywhere.
Paths on the command line stay relative to the working folder.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from edi837.errors import Edi837Error

FILENAME = "edi837.toml"
TABLES = ("check", "run")
META_PATH = "edi837.config_path"  # --config given to the group
META_OFF = "edi837.no_config"


class ConfigError(Edi837Error):
    """The config file cannot be read, or names a table, key or value edi837 rejects."""


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``edi837.toml`` from ``start`` upward, stopping after $HOME or at /."""
    here = (start or Path.cwd()).resolve()
    home = Path(os.environ["HOME"]).resolve() if os.environ.get("HOME") else None
    for folder in (here, *here.parents):
        candidate = folder / FILENAME
        if candidate.is_file():
            return candidate
        if home is not None and folder == home:
            break
    return None


def option_keys(command: click.Command) -> dict[str, click.Option]:
    """Config key -> option: every long name, with ``-`` and ``_`` spellings."""
    keys: dict[str, click.Option] = {}
    for param in command.params:
        if not isinstance(param, click.Option) or param.name == "config":
            continue
        for opt in param.opts:
            if opt.startswith("--"):
                name = opt[2:]
                keys[name] = param
                keys[name.replace("-", "_")] = param
    return keys


def load_config(path: Path, commands: dict[str, click.Command]) -> dict[str, dict[str, Any]]:
    """The file as a click ``default_map`` ({command: {param name: value}}), checked:
    unknown tables, unknown keys (with the nearest known key) and values the option's
    type refuses are errors naming the file and ``table.key``."""
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save the config file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    import difflib  # the hints of a bad config file

    default_map: dict[str, dict[str, Any]] = {}
    for table, values in data.items():
        if table not in commands or not isinstance(values, dict):
            hint = difflib.get_close_matches(table, list(commands), n=1)
            more = f" (did you mean [{hint[0]}]?)" if hint else ""
            raise ConfigError(
                f"{path}: unknown table [{table}]{more}; the tables are "
                f"{', '.join(f'[{t}]' for t in commands)}"
            )
        command = commands[table]
        keys = option_keys(command)
        ctx = click.Context(command, info_name=table)
        out: dict[str, Any] = {}
        for key, value in values.items():
            option = keys.get(key)
            if option is None:
                hint = difflib.get_close_matches(key, sorted(keys), n=1, cutoff=0.6)
                more = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise ConfigError(f"{path}: {table}.{key}: unknown option{more}")
            if option.multiple and isinstance(value, str):
                value = [value]
            value = _from_folder(option, value, path.parent)
            try:
                option.type_cast_value(ctx, value)
            except click.BadParameter as exc:
                raise ConfigError(f"{path}: {table}.{key}: {exc.message}") from None
            out[option.name] = value  # type: ignore[index]
        default_map[table] = out
    return default_map


_PATH_METAVARS = frozenset({"PATH", "DIR", "FILE"})


def _is_path_option(option: click.Option) -> bool:
    """Options whose value names a file or folder (``--history`` is a URL or a path the
    store resolves itself, and stays as written)."""
    return isinstance(option.type, click.Path) or option.metavar in _PATH_METAVARS


def _from_folder(option: click.Option, value: Any, folder: Path) -> Any:
    """``value`` with a relative path taken from ``folder`` (the config file's). A
    ``--policy`` is a path only when it looks like one (a shipped profile is a name)."""
    looks_like_path = _is_path_option(option) or (
        option.name == "policy"
        and isinstance(value, str)
        and (value.endswith(".toml") or "/" in value)
    )
    if not looks_like_path:
        return value

    def resolve(one: Any) -> Any:
        if not isinstance(one, str) or one in ("", "-") or Path(one).is_absolute():
            return one
        return str(folder / one)

    return [resolve(v) for v in value] if isinstance(value, list) else resolve(value)


def _commands(ctx: click.Context) -> dict[str, click.Command]:
    root = ctx.find_root().command
    if isinstance(root, click.Group):
        return {name: root.commands[name] for name in TABLES if name in root.commands}
    return {ctx.command.name or "": ctx.command}


def config_path(ctx: click.Context, given: str | None = None) -> Path | None:
    """The config file for this invocation: the command's --config, the group's, or the
    nearest edi837.toml (none with ``edi837 --no-config``)."""
    if given:
        return Path(given)
    if ctx.meta.get(META_PATH):
        return Path(ctx.meta[META_PATH])
    if ctx.meta.get(META_OFF):
        return None
    return find_config()


def default_map_for(
    ctx: click.Context, given: str | None = None
) -> tuple[Path | None, dict[str, dict[str, Any]]]:
    path = config_path(ctx, given)
    if path is None:
        return None, {}
    return path, load_config(path, _commands(ctx))


def _apply(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Eager callback of a command's --config: install the file's table as defaults
    before click reads any other option."""
    if ctx.resilient_parsing:  # `edi837 config` sets the default map itself
        return value
    try:
        path, default_map = default_map_for(ctx, value)
    except ConfigError as exc:
        from edi837.cli_rules import CommandError

        raise CommandError(str(exc)) from None
    if path is not None:
        ctx.default_map = {**default_map.get(ctx.command.name or "", {}), **(ctx.default_map or {})}
        ctx.meta["edi837.config_used"] = str(path)
    return value


def config_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--config FILE`` on a command (eager, exposes nothing)."""
    return click.option(
        "--config",
        "config",
        metavar="FILE",
        is_eager=True,
        expose_value=False,
        callback=_apply,
        type=click.Path(dir_okay=False, exists=True),
        help=f"Read option defaults from this TOML file (default: the nearest {FILENAME} "
        "from the working folder upward).",
    )(fn)


def _source(ctx: click.Context, name: str, path: Path | None, param: click.Parameter) -> str:
    source = ctx.get_parameter_source(name)
    if source is ParameterSource.COMMANDLINE:
        return "command line"
    if source is ParameterSource.ENVIRONMENT:
        return f"env {getattr(param, 'envvar', '') or ''}".strip()
    if source is ParameterSource.DEFAULT_MAP:
        return str(path)
    return "default"


def effective_settings(
    ctx: click.Context, command_name: str, args: list[str], given: str | None = None
) -> tuple[Path | None, list[dict[str, Any]]]:
    """What ``command_name args`` would run with: each option's value and its source."""
    path, default_map = default_map_for(ctx, given)
    command = _commands(ctx)[command_name]
    sub = command.make_context(
        command_name,
        list(args),
        parent=ctx,
        default_map=default_map.get(command_name, {}),
        resilient_parsing=True,
    )
    rows = []
    for param in command.params:
        if not isinstance(param, click.Option) or param.name == "config":
            continue
        key = next((o[2:] for o in param.opts if o.startswith("--")), param.name or "")
        value = sub.params.get(param.name or "")
        rows.append(
            {"key": key, "value": value, "source": _source(sub, param.name or "", path, param)}
        )
    return path, rows


def _show(value: Any) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, tuple | list):
        return json.dumps([str(v) for v in value])
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return json.dumps(str(value))


@click.command(
    "config", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False}
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Print as TOML-like text, or as JSON.",
)
@click.argument("command", required=False, type=click.Choice(TABLES))
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def config_cmd(ctx: click.Context, fmt: str, command: str | None, args: tuple[str, ...]) -> None:
    """Print the effective settings of check and run, and where each came from.

    Sources: default, the config file's path, command line, or env. Give a command and
    its options to see what that command line would use.

    Example: edi837 config check --format json claims.837
    """
    from edi837.cli_rules import CommandError

    names = [command] if command else list(TABLES)
    out: dict[str, Any] = {}
    path = None
    try:
        for name in names:
            path, rows = effective_settings(ctx, name, list(args) if command else [])
            out[name] = rows
    except (ConfigError, click.UsageError) as exc:
        raise CommandError(str(exc)) from None
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "config_file": str(path) if path else None,
                    "settings": {
                        n: [{**r, "value": _jsonable(r["value"])} for r in rows]
                        for n, rows in out.items()
                    },
                },
                indent=2,
            )
        )
        return
    click.echo(
        f"# config file: {path}"
        if path
        else f"# no config file ({FILENAME} not found from {Path.cwd()} upward)"
    )
    for name, rows in out.items():
        click.echo(f"\n[{name}]")
        width = max(len(f"{r['key']} = {_show(r['value'])}") for r in rows)
        for r in rows:
            line = f"{r['key']} = {_show(r['value'])}"
            click.echo(f"{line:{width}}  # {r['source']}")


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [str(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)
