"""What a drop-folder worker tells a monitoring system: a log line per file, and metrics.

The log line (``--log-format text|json``) carries what an operator needs to find a file
again and judge a run -- its name, size, claim counts, seconds, outcome and the interchange
control numbers (ISA13) it held -- and never a member's name or id: the log leaves the
PHI boundary (it goes to a log shipper), the reports do not.

Metrics (``--metrics-port``) are served by prometheus_client from a registry of the
worker's own (so two workers in one test process do not collide), on 127.0.0.1 unless
told otherwise: a metrics endpoint is not something to expose on every interface.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class FileEvent:
    """One file's outcome, as logged and counted."""

    file: str
    size: int
    claims: int = 0
    accepted: int = 0
    rejected: int = 0
    seconds: float = 0.0
    outcome: str = "done"  # done (readable), failed (unreadable), error (internal)
    interchanges: list[str] = field(default_factory=list)  # ISA13 control numbers


def format_event(event: FileEvent, log_format: str) -> str:
    """The per-file log line: ``key=value`` pairs, or one JSON object."""
    if log_format == "json":
        return json.dumps(
            {"event": "file", **asdict(event), "seconds": round(event.seconds, 3)},
            separators=(",", ":"),
        )
    pairs = {
        **asdict(event),
        "seconds": f"{event.seconds:.3f}",
        "interchanges": ",".join(event.interchanges) or "-",
    }
    return " ".join(f"{k}={v}" for k, v in pairs.items())


class Metrics:
    """The worker's Prometheus metrics (a private registry; served on demand)."""

    def __init__(self) -> None:
        try:
            from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
        except ImportError:
            from edi837.errors import Edi837Error

            raise Edi837Error(
                "--metrics-port needs prometheus_client: pip install 'edi837[metrics]'"
            ) from None
        self.registry = CollectorRegistry()
        r = self.registry
        self.files = Counter(
            "edi837_files", "Files processed, by outcome.", ["outcome"], registry=r
        )
        self.claims = Counter(
            "edi837_claims", "Claims answered, by outcome.", ["outcome"], registry=r
        )
        self.seconds = Histogram(
            "edi837_file_seconds",
            "Seconds to screen and answer one file.",
            registry=r,
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
        )
        self.inbox = Gauge(
            "edi837_inbox_files", "Files waiting in the inbox (last poll).", registry=r
        )
        self.last_success = Gauge(
            "edi837_last_success_timestamp_seconds",
            "Unix time the last file was answered.",
            registry=r,
        )
        for outcome in ("done", "failed", "error"):
            self.files.labels(outcome)
        for outcome in ("accepted", "rejected"):
            self.claims.labels(outcome)
        self._server: Any = None

    def observe(self, event: FileEvent) -> None:
        self.files.labels(event.outcome).inc()
        self.claims.labels("accepted").inc(event.accepted)
        self.claims.labels("rejected").inc(event.rejected)
        self.seconds.observe(event.seconds)
        if event.outcome == "done":
            self.last_success.set(time.time())

    def serve(self, port: int, host: str = "127.0.0.1") -> None:
        """Serve ``/metrics`` over HTTP from a daemon thread."""
        from prometheus_client import start_http_server

        self._server = start_http_server(port, addr=host, registry=self.registry)

    def close(self) -> None:
        if isinstance(self._server, tuple):  # (server, thread) in prometheus_client >= 0.17
            self._server[0].shutdown()


def event_sink(
    log: Callable[[str], None], log_format: str, metrics: Metrics | None
) -> Callable[[FileEvent], None]:
    """Where a worker's file events go: the log, and the metrics if served."""

    def sink(event: FileEvent) -> None:
        log(format_event(event, log_format))
        if metrics is not None:
            metrics.observe(event)

    return sink
