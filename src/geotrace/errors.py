"""Fatal errors: what stops a command as a whole, as opposed to a problem with one item.

An unreadable input is a problem recorded in the case and the run goes on; a case that
cannot be opened or written is none of the inputs' fault, and going on would record every
remaining input as unreadable.  Each of these errors is one line a user can act on; the
command line turns any of them into exit code 2 in one place (``cli.fatal_errors``).
"""

from __future__ import annotations


class GeotraceError(Exception):
    """A fatal error, said in one line."""


class CaseError(GeotraceError):
    """The case itself cannot be used."""


class CaseBusy(CaseError):
    """Another process is writing to this case."""


class NotACase(CaseError):
    """The file named as the case is something else (another application's database):
    refused before anything is written to it."""


class CaseUnwritable(CaseError):
    """The case cannot be written: a read-only file or folder, a folder in its place."""


class CaseFull(CaseError):
    """No space left on the case's disk (or over the user's quota there)."""


class NoInput(GeotraceError):
    """None of the inputs named exists: nothing is read and no new case is created."""


class MissingExtra(GeotraceError):
    """An optional part the command needs is not installed; the message names the extra."""


class InputError(GeotraceError, ValueError):
    """A file or option the user named for the command (not one of many inputs) cannot be
    used at all: the command stops before writing anything."""


class ControlLayerError(InputError):
    """The file cannot be used as a control layer at all (not a layer, hostile, too big)."""


class BasemapError(InputError):
    """The file cannot serve as a base map: not MBTiles/PMTiles, vector tiles, unreadable."""


class ColumnsError(InputError):
    """A ``--columns`` mapping that cannot be used (a name it does not know, a column the
    table lacks) or a ``--tz`` that is no zone: a usage error, said before anything is
    stored."""
