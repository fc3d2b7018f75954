"""Domain library of the webtoon background generator.

Imports nothing from azure.functions so it can run in scripts, tests and any host.
Heavy dependencies (onnxruntime, numpy, Wand) are imported inside the functions that use them.
"""
