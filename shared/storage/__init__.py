"""Blob storage: containers and blob I/O, permanent asset links, lifecycle of uploads."""
