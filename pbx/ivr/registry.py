"""Flow snapshots and hot reload.

A `FlowSet` is an immutable snapshot of every flow plus the routing table. A call takes
the current snapshot when it starts and keeps it, so an edit never changes a call in
progress. `FlowRegistry.reload()` swaps in a new snapshot only when every file validates;
otherwise the old one keeps serving and the errors are returned (and logged).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType

from .models import Flow
from .routes import RouteTable
from .validate import FlowError, Resources, check_sources, read_sources

logger = logging.getLogger(__name__)


class UnknownFlow(LookupError):
    pass


@dataclass(frozen=True)
class FlowSet:
    flows: Mapping[str, Flow]
    routes: RouteTable
    version: str
    """Short hash of the files' names and contents."""
    loaded_at: datetime

    def flow(self, name: str) -> Flow:
        try:
            return self.flows[name]
        except KeyError:
            raise UnknownFlow(f"no flow named {name!r} (version {self.version})") from None

    def flow_for(self, dialled: str) -> Flow:
        """The flow routes.yaml gives for a dialled number."""
        name = self.routes.resolve(dialled)
        if name is None:
            raise UnknownFlow(f"no route for {dialled!r} and no default route")
        return self.flow(name)


@dataclass(frozen=True)
class ReloadResult:
    applied: bool
    """True when a new snapshot went live."""
    version: str | None
    """The version now serving (None when nothing ever loaded)."""
    errors: tuple[FlowError, ...] = ()


class LoadFailed(Exception):
    def __init__(self, errors: Sequence[FlowError]) -> None:
        self.errors = tuple(errors)
        lines = "\n".join(str(e) for e in self.errors) or "nothing loaded yet"
        super().__init__(f"flows failed to load:\n{lines}")


def _digest(sources: Mapping[Path, bytes]) -> str:
    sha = hashlib.sha256()
    for path in sorted(sources):
        sha.update(path.name.encode() + b"\0" + hashlib.sha256(sources[path]).digest())
    return sha.hexdigest()[:12]


def build_flowset(
    sources: Mapping[Path, bytes],
    *,
    resources: Resources | None = None,
    now: datetime | None = None,
) -> tuple[FlowSet | None, list[FlowError]]:
    checked = check_sources(sources, resources=resources or Resources())
    if checked.errors:
        return None, checked.errors
    flowset = FlowSet(
        MappingProxyType(dict(checked.flows)),
        checked.routes,
        _digest(sources),
        now or datetime.now(UTC),
    )
    return flowset, []


class FlowRegistry:
    """Serves the current `FlowSet` of a directory of flow files."""

    def __init__(
        self,
        directory: Path | str,
        *,
        sound_dirs: Sequence[Path | str] = (),
        uploads_dir: Path | str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.directory = Path(directory)
        self._resources = Resources(
            tuple(Path(d) for d in sound_dirs),
            Path(uploads_dir) if uploads_dir is not None else None,
        )
        self._clock = clock
        self._current: FlowSet | None = None
        self._seen: str | None = None
        """Digest of the files at the last reload, valid or not."""
        self.last_errors: tuple[FlowError, ...] = ()
        """Why the files on disk are not live, when the last reload was rejected."""

    @classmethod
    def load(
        cls,
        directory: Path | str,
        *,
        sound_dirs: Sequence[Path | str] = (),
        uploads_dir: Path | str | None = None,
    ) -> FlowRegistry:
        """A registry with its first snapshot loaded; raises LoadFailed on any error."""
        registry = cls(directory, sound_dirs=sound_dirs, uploads_dir=uploads_dir)
        result = registry.reload()
        if not result.applied:
            raise LoadFailed(result.errors)
        return registry

    @property
    def current(self) -> FlowSet:
        """The snapshot to give a new call."""
        if self._current is None:
            raise LoadFailed([])
        return self._current

    def reload(self) -> ReloadResult:
        """Read and validate every file; go live only if all of them are valid."""
        return self._reload(read_sources(self.directory))

    def _reload(self, sources: Mapping[Path, bytes]) -> ReloadResult:
        digest = _digest(sources)
        self._seen = digest
        if self._current is not None and digest == self._current.version:
            return ReloadResult(False, self._current.version)
        flowset, errors = build_flowset(sources, resources=self._resources, now=self._clock())
        if flowset is None:
            serving = self._current.version if self._current else None
            logger.warning(
                "flow reload rejected (%d errors); still serving version %s", len(errors), serving
            )
            for error in errors:
                logger.warning("%s", error)
            self.last_errors = tuple(errors)
            return ReloadResult(False, serving, tuple(errors))
        self.last_errors = ()
        self._current = flowset
        logger.info("flows version %s live (%d flows)", flowset.version, len(flowset.flows))
        return ReloadResult(True, flowset.version)

    def poll(self) -> ReloadResult | None:
        """Reload when any file was added, removed or changed since the last reload."""
        sources = read_sources(self.directory)
        if _digest(sources) == self._seen:
            return None
        return self._reload(sources)

    async def watch(self, interval: float = 2.0) -> None:
        """Poll the directory every `interval` seconds until cancelled."""
        while True:
            try:
                await asyncio.to_thread(self.poll)
            except OSError:
                logger.exception("cannot read flows from %s", self.directory)
            await asyncio.sleep(interval)
