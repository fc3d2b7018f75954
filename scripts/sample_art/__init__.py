"""The procedural drawings of the sample reference set (scripts/sample_references.py): scenes as shapes
(shapes.py, landmarks.py, food.py, culture.py), their looks (atmosphere.py) and the art stages (render.py)."""

from . import culture, food, landmarks

SCENES = landmarks.SCENES + food.SCENES + culture.SCENES
