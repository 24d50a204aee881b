"""Where input comes from and where output goes: one layer for every pass that opens a file.

A *source* is a name as the user gave it:

* a local path (``batch.837``), or ``-`` for standard input (spooled by ``Screening``);
* a URL that fsspec opens (``s3://bucket/in/x.837``, ``gs://``, ``abfs://``, ``hdfs://``,
  ``file://``), read as a stream: nothing is downloaded whole and nothing needs a shared
  mount, so a Spark executor opens its own URL;
* a glob (``in/*.837``, ``s3://bucket/2026-11-*/*.837``), expanded in sorted order;
* an archive member, ``archive.zip!member.837``: a ZIP file contributes each member (in name
  order) as an input of its own.

Compression is detected by content, never by name: a stream starting with the gzip magic
``1f 8b`` is decompressed as it is read (``x.837``, ``x.gz`` and ``x.dat`` alike), a file
starting with ``PK\\x03\\x04`` is a ZIP archive. The content hash the history store keys a
file by is taken over the decompressed bytes (the tokenizer hashes what it reads), so a
batch screened once plain and once gzipped is recognized as the same file.

Credentials and endpoints come from fsspec's usual chain (for S3: ``AWS_ACCESS_KEY_ID``,
``AWS_PROFILE``, ``AWS_ENDPOINT_URL`` for a private S3-compatible store, instance roles),
never from the command line. fsspec is optional (``pip install 'edi837[cloud]'``) and
imported only when a URL is used.

Outputs (``open_output``): a local path is written with ``x12out.atomic_open`` (temporary
file, fsync, rename); a URL is written to a local temporary file which is then uploaded
under the final key in one ``put`` -- on S3 an object appears whole or not at all.
"""

from __future__ import annotations

import contextlib
import fnmatch
import io
import os
import re
import shutil
import sys
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any, BinaryIO, TextIO

from edi837.errors import Edi837Error

# gzip and zipfile are imported when an input turns out to be one: most are plain 837s.
if TYPE_CHECKING:
    import gzip

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
MEMBER_SEP = "!"
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_GLOB = re.compile(r"[*?[]")


def is_url(name: str | os.PathLike[str]) -> bool:
    """``scheme://...`` (a Windows drive letter is not a scheme: it has no ``//``)."""
    return isinstance(name, str) and bool(_URL.match(name))


def _fsspec() -> Any:
    try:
        import fsspec
    except ImportError:
        raise Edi837Error(
            "reading or writing URLs needs fsspec: pip install 'edi837[cloud]'"
        ) from None
    return fsspec


def filesystem(url: str) -> tuple[Any, str]:
    """The fsspec filesystem for ``url`` and the path within it."""
    fs, path = _fsspec().core.url_to_fs(url)
    return fs, path


# -- opening ----------------------------------------------------------------------------


def _split_member(name: str) -> tuple[str, str | None]:
    """``archive.zip!member`` -> (archive, member); a name that exists as it is, or has
    no ``!``, is no member."""
    if MEMBER_SEP not in name or (not is_url(name) and os.path.exists(name)):
        return name, None
    archive, _, member = name.rpartition(MEMBER_SEP)
    return archive, member


def source_key(name: str) -> str:
    """What makes two input names the same input: a local file's real path (links and
    ``./`` resolved), an archive member's archive real path plus member, a URL as given."""
    if name == "-" or is_url(name):
        return name
    archive, member = _split_member(name)
    real = os.path.realpath(archive)
    return real if member is None else f"{real}{MEMBER_SEP}{member}"


def _open_raw(name: str) -> BinaryIO:
    if is_url(name):
        fs, path = filesystem(name)
        return fs.open(path, "rb")  # type: ignore[no-any-return]
    return open(name, "rb")  # noqa: SIM115 - the caller's context closes it


def _peek(stream: BinaryIO, n: int = 4) -> bytes:
    """The first ``n`` bytes, the stream left where it was (at the start)."""
    if hasattr(stream, "peek"):
        with contextlib.suppress(OSError, ValueError):
            head = stream.peek(n)[:n]
            if len(head) >= n:
                return head
    position = stream.tell()
    head = stream.read(n)
    stream.seek(position)
    return head


class ZipArchiveInput(IsADirectoryError):
    """``open_source`` was given a ZIP archive: its members are the inputs (the screening
    finds this out when it opens the input to read it, so a plain file is not opened an
    extra time just to look at its first bytes)."""


@contextlib.contextmanager
def open_source(name: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """The bytes of one input, decompressed, as a binary stream (closed on exit).

    ``name`` is a local path, a URL or ``archive!member``. A gzip stream is decompressed
    (``gzip.open`` on the open file: streaming, never whole in memory). A ZIP archive named
    without a member is refused: ``expand_sources`` lists its members as inputs.
    """
    name = os.fspath(name)
    archive, member = _split_member(name)
    with contextlib.ExitStack() as stack:
        raw = stack.enter_context(_open_raw(archive))
        head = _peek(raw)
        if member is not None:
            if not head.startswith(ZIP_MAGIC):
                raise FileNotFoundError(2, "no such file (and not a ZIP archive)", name)
            import zipfile

            zf = stack.enter_context(zipfile.ZipFile(raw))
            stream: BinaryIO = stack.enter_context(zf.open(member))  # type: ignore[assignment]
            head = _peek(stream) if stream.seekable() else b""
        elif head.startswith(ZIP_MAGIC):
            raise ZipArchiveInput(21, "a ZIP archive: screen its members", name)
        else:
            stream = raw
        if head.startswith(GZIP_MAGIC):
            import gzip

            inner = stack.enter_context(gzip.open(stream, "rb"))  # type: ignore[arg-type]
            stream = _Gunzip(inner, name)  # type: ignore[assignment]
        yield stream


class _Gunzip(io.RawIOBase):
    """A gzip stream whose corruption is reported as the reader reports bad input: a
    one-line error naming the file and the (decompressed) byte offset, never a zlib
    traceback."""

    def __init__(self, inner: gzip.GzipFile, name: str) -> None:
        super().__init__()
        self.inner = inner
        self.name_ = name
        self.produced = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.inner.tell()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self.inner.seek(offset, whence)

    def read(self, size: int = -1) -> bytes:
        try:
            data = self.inner.read(size)
        except (OSError, EOFError, zlib.error) as exc:
            from edi837.errors import X12SyntaxError

            raise X12SyntaxError(
                f"binary data, not an X12 interchange (gzip stream corrupt or cut short: "
                f"{type(exc).__name__})",
                file=self.name_,
                segment_ordinal=1 if self.produced == 0 else 0,
                byte_offset=self.produced,
            ) from None
        self.produced += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


@contextlib.contextmanager
def open_text(name: str | os.PathLike[str]) -> Iterator[TextIO]:
    """``open_source`` as Latin-1 text with no newline translation (one byte, one char)."""
    with open_source(name) as stream:
        yield io.TextIOWrapper(stream, encoding="latin-1", newline="")  # type: ignore[arg-type]


def source_size(name: str) -> int:
    """The bytes the reader will count for one input (0 when it cannot be sized): a
    progress bar's total, a task's weight. Decompressed where that is known without
    reading: a ZIP member's ``file_size``, a whole ZIP's members together, a local gzip
    file's ISIZE trailer (the size mod 4 GiB, so never below the compressed size);
    otherwise the size on disk or in the store."""
    archive, member = _split_member(name)
    try:
        if member is not None:
            import zipfile

            with _open_raw(archive) as raw, zipfile.ZipFile(raw) as zf:
                return zf.getinfo(member).file_size
        if is_url(name):
            fs, path = filesystem(name)
            return int(fs.size(path) or 0)
        size = os.path.getsize(name)
        with open(name, "rb") as raw:
            head = raw.read(4)
            if head.startswith(GZIP_MAGIC) and size >= 18:
                raw.seek(-4, os.SEEK_END)
                return max(size, int.from_bytes(raw.read(4), "little"))
            if head.startswith(ZIP_MAGIC):
                import zipfile

                raw.seek(0)
                with zipfile.ZipFile(raw) as zf:
                    return sum(i.file_size for i in zf.infolist() if not i.is_dir())
        return size
    except (OSError, KeyError, *zip_errors()):
        return 0


def zip_errors() -> tuple[type[Exception], ...]:
    """``(zipfile.BadZipFile,)`` once zipfile is loaded, else nothing: for an ``except``
    clause (evaluated only when something was raised), without importing zipfile for
    the plain inputs that never touch it (nothing else can raise BadZipFile)."""
    zipfile = sys.modules.get("zipfile")
    return (zipfile.BadZipFile,) if zipfile is not None else ()


# -- expanding --------------------------------------------------------------------------


def _is_zip(name: str) -> bool:
    try:
        with _open_raw(name) as raw:
            return _peek(raw).startswith(ZIP_MAGIC)
    except OSError:
        return False


def zip_members(name: str) -> list[str]:
    """The inputs a ZIP archive holds (``archive!member``), sorted, dotfiles skipped."""
    return _members(name)


def _members(name: str) -> list[str]:
    import zipfile

    with _open_raw(name) as raw, zipfile.ZipFile(raw) as zf:
        names = [i.filename for i in zf.infolist() if not i.is_dir()]
    return [
        f"{name}{MEMBER_SEP}{m}" for m in sorted(names) if not os.path.basename(m).startswith(".")
    ]


def _visible(path: str) -> bool:
    return not any(
        part.startswith(".")
        for part in path.replace("\\", "/").split("/")
        if part not in ("", ".", "..")
    )


def _expand_url(url: str) -> list[str]:
    fs, path = filesystem(url)
    protocol = url.split("://", 1)[0]

    def as_url(p: str) -> str:
        return p if is_url(p) else f"{protocol}://{p}"

    if _GLOB.search(path):
        found = sorted(p for p in fs.glob(path) if not fs.isdir(p))
        return [as_url(p) for p in found if not os.path.basename(p).startswith(".")]
    if fs.isdir(path):
        root = path.rstrip("/")
        found = sorted(fs.find(root))
        return [as_url(p) for p in found if _visible(p[len(root) :])]
    return [url]


def _expand_local(name: str) -> list[str]:
    if _GLOB.search(name) and not os.path.exists(name):
        import glob

        found = sorted(glob.glob(name, recursive=True))
        out: list[str] = []
        for f in found:
            out += _expand_local(f) if os.path.isdir(f) else [f]
        return out or [name]  # nothing matched: reported as unreadable, not dropped
    if os.path.isdir(name):
        out = []
        for root, dirs, files in os.walk(name):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            out += [os.path.join(root, f) for f in sorted(files) if not f.startswith(".")]
        return out
    return [name]


def expand_sources(names: Iterable[str | os.PathLike[str]], archives: bool = True) -> list[str]:
    """Every input the names stand for, in order: directories and globs expanded (sorted,
    dotfiles skipped), ZIP archives (by content) replaced by their members unless
    ``archives`` is false (the reader then meets them: ``ZipArchiveInput``). ``-`` and
    names that do not exist are kept as they are (the reader reports them), and so is an
    archive whose directory cannot be read (cut short, not a ZIP after its magic): the
    reader reports it unreadable, one line, instead of the listing failing the run."""
    out: list[str] = []
    for raw in names:
        name = os.fspath(raw)
        if name == "-":
            out.append(name)
            continue
        files = _expand_url(name) if is_url(name) else _expand_local(name)
        for f in files:
            out += _listed_members(f) if archives and _is_zip(f) else [f]
    return out


def _listed_members(name: str) -> list[str]:
    """The members of a ZIP archive, or the archive itself when it cannot be listed."""
    try:
        return _members(name)
    except (OSError, EOFError, *zip_errors()):
        return [name]


def matches_any(name: str, patterns: Iterable[str]) -> bool:
    """Shell-style match of a file's base name against any of ``patterns``."""
    base = os.path.basename(name)
    return any(fnmatch.fnmatch(base, p) for p in patterns)


# -- writing ----------------------------------------------------------------------------


@contextlib.contextmanager
def open_output(
    path: str | os.PathLike[str] | None,
    *,
    encoding: str = "utf-8",
    newline: str | None = "",
    binary: bool = False,
) -> Iterator[IO[Any]]:
    """Write ``path`` so that it appears whole or not at all: ``None`` or ``-`` is standard
    output; a local path goes through ``edi837.atomic.atomic_open``; a URL through a
    temporary file in the run's private folder, uploaded on success (``fs.put_file``: on
    object stores an object appears only once its upload completes)."""
    from edi837.atomic import STDOUT, atomic_open

    name = STDOUT if path is None else os.fspath(path)
    mode = "wb" if binary else "w"
    if name == STDOUT:
        stream = sys.stdout.buffer if binary else sys.stdout
        yield stream
        stream.flush()
        return
    if not is_url(name):
        with atomic_open(name, mode, encoding=encoding, newline=newline) as out:
            yield out
        return
    from edi837.runtmp import run_dir

    fs, remote = filesystem(name)
    fd, tmp = tempfile.mkstemp(prefix="upload-", suffix=".tmp", dir=run_dir())
    try:
        kwargs = {} if binary else {"encoding": encoding, "newline": newline}
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
        parent = remote.rsplit("/", 1)[0]
        if parent and parent != remote:
            with contextlib.suppress(OSError, NotImplementedError):
                fs.makedirs(parent, exist_ok=True)
        fs.put_file(tmp, remote)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def put_local(local: str | os.PathLike[str], url: str) -> None:
    """Upload a finished local file (a Parquet table, say) under ``url``."""
    fs, remote = filesystem(url)
    fs.put_file(os.fspath(local), remote)


def _url_is_dir(url: str) -> bool:
    if url.endswith("/"):
        return True
    fs, path = filesystem(url)
    try:
        return bool(fs.isdir(path))
    except OSError:
        return False


def upload(local: str, url: str) -> list[str]:
    """Copy a finished local file, or every file under a local folder, to ``url``; one
    ``put`` per object, so each appears whole. Returns the URLs written."""
    fs, remote = filesystem(url)
    if not os.path.isdir(local):
        fs.put_file(local, remote)
        return [url]
    written = []
    root = remote.rstrip("/")
    for folder, dirs, files in os.walk(local):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(f for f in files if not f.startswith(".")):
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, local).replace(os.sep, "/")
            fs.put_file(path, f"{root}/{rel}")
            written.append(f"{url.rstrip('/')}/{rel}")
    return written


@contextlib.contextmanager
def staged(target: str | None, *, directory: bool | None = None) -> Iterator[str | None]:
    """A local stand-in for an output named by URL (a file, or a folder when ``target``
    ends in ``/``, is a folder in the store, or ``directory`` says so), uploaded once the
    block succeeds; a local path or None is handed back as it is. The writers keep writing
    local files atomically; the store sees only finished objects."""
    if target is None or not is_url(target):
        yield target
        return
    is_dir = _url_is_dir(target) if directory is None else directory
    from edi837.runtmp import run_dir

    tmp = tempfile.mkdtemp(prefix="stage-", dir=run_dir())
    try:
        local = tmp + os.sep if is_dir else os.path.join(tmp, target.rstrip("/").rsplit("/")[-1])
        yield local
        upload(local.rstrip(os.sep) if is_dir else local, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
