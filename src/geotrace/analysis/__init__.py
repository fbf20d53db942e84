"""Analyses over a whole case: provenance of pictures."""
