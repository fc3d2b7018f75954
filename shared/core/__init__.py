"""Configuration, errors, domain values (catalog), plain models, retry and credentials: what every package uses."""
