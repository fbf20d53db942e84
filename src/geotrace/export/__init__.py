"""Present stage: sightings and other records written out in formats other tools read."""

from geotrace.export.geojson import write_geojson
from geotrace.export.kml import write_kml
from geotrace.export.parquet import write_parquet
from geotrace.export.table import write_csv, write_jsonl

__all__ = ["write_csv", "write_geojson", "write_jsonl", "write_kml", "write_parquet"]
