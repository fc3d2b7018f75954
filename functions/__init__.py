"""Thin triggers: parse, validate, call shared/, shape the response. Each subpackage is a blueprint."""
