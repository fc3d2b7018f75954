"""The reference tables' names (migrations 0002 and 0006), for the modules that query them."""

TABLE = "reference_images"
LEMMAS_TABLE = "reference_lemmas"  # id, category, stage, lemmas, subject, version: narrow, so a match reads little
