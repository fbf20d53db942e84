"""geotrace: where and when, from photos, videos and posts, as evidence."""

__version__ = "0.1.0"
