"""Every stage the pipeline knows: the built-ins, then those other packages declare.

As datasette's ``DEFAULT_PLUGINS``: the built-in stages are registered through the same
hook a third party uses (an entry point in the ``geotrace.stages`` group naming a
:class:`~geotrace.pipeline.stage.Stage` instance), so that nothing in the runner, the
API or the CLI names a stage.  Stages are imported when first asked for: ``--help``
must not load OpenCV for the fingerprint stage.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

from geotrace.errors import GeotraceError
from geotrace.pipeline.stage import Stage

#: The built-in stages, in the order an ingest runs them: "module:attribute".
BUILTIN = (
    # Before places: the sightings it adds are placed in the same run.
    "geotrace.evidence.text_stage:STAGE",
    "geotrace.places.stage:STAGE",
    "geotrace.evidence.fingerprint_stage:STAGE",
    "geotrace.analysis.pairs_stage:STAGE",
    "geotrace.analysis.links_stage:STAGE",
    "geotrace.analysis.tracks_stage:STAGE",
    "geotrace.analysis.stays_stage:STAGE",
    "geotrace.analysis.crossings_stage:STAGE",
    "geotrace.analysis.together_stage:STAGE",
    "geotrace.analysis.silence_stage:STAGE",
)
#: The entry-point group other packages declare their stages in.
GROUP = "geotrace.stages"

_added: dict[str, Stage[Any, Any]] = {}


class UnknownStage(GeotraceError):
    """A stage name nothing registered."""


def _load(spec: str) -> Stage[Any, Any]:
    module, _, attribute = spec.partition(":")
    found = getattr(import_module(module), attribute)
    if not isinstance(found, Stage):
        raise TypeError(f"{spec} is not a geotrace Stage")
    return found


def register(stage: Stage[Any, Any]) -> None:
    """Add a stage at run time (a plugin loaded by hand, a test's toy stage); a stage of
    the same name is replaced."""
    _added[stage.name] = stage


def unregister(name: str) -> None:
    """Forget a stage added with :func:`register`."""
    _added.pop(name, None)


def stages() -> dict[str, Stage[Any, Any]]:
    """Every registered stage by name: built-ins, entry points, then :func:`register`'s."""
    found: dict[str, Stage[Any, Any]] = {}
    for spec in BUILTIN:
        stage = _load(spec)
        found[stage.name] = stage
    for point in entry_points(group=GROUP):
        stage = point.load()
        if isinstance(stage, Stage):
            found[stage.name] = stage
    found.update(_added)
    return found


def stage(name: str) -> Stage[Any, Any]:
    """The stage called ``name``."""
    known = stages()
    if name not in known:
        raise UnknownStage(f"no stage called {name!r}; known: {', '.join(known)}")
    return known[name]
