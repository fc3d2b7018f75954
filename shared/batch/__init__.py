"""Batch generation from a shot list: parsing, lines, results and blob I/O."""
