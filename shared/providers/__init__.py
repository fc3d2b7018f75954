"""External capabilities behind small interfaces (prompt writing, image generation, speech), with an explicit list of built-in implementations."""
