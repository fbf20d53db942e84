"""Reading Russian and Ukrainian text: language, places, units and casualty cues.

Rule- and gazetteer-based, with every inflected form of every name generated at build time
(``scripts/build_names.py``), so that reading a post is dictionary look-ups and regular
expressions: no model, no download, no morphology at run time.
"""
