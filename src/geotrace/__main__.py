"""``python -m geotrace``: the same command line as the ``geotrace`` script."""

from geotrace.cli import app

app(prog_name="geotrace")
