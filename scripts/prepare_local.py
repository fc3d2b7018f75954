"""Prepares local data after the stack is up: storage containers, the test embedding model, the sample
reference set. Each step is idempotent; scripts/run.sh calls this before starting devhost."""

from __future__ import annotations

STEPS: list = []  # (description, callable) pairs, run in order


def main() -> None:
    for description, step in STEPS:
        print(f"== {description}", flush=True)
        step()


if __name__ == "__main__":
    main()
