"""`python -m shared.db migrate`: apply the schema migrations."""

import logging
import sys

from shared.db.schema import migrate

logging.basicConfig(level=logging.INFO, format="%(message)s")
if sys.argv[1:] != ["migrate"]:
    sys.exit("usage: python -m shared.db migrate")
names = migrate()
print(f"migrations applied: {len(names)}" + (f" ({', '.join(names)})" if names else ""))
