"""The Function App: one DFApp that registers each blueprint. Nothing else lives here."""

import azure.durable_functions as df
import azure.functions as func

from functions.catalog import bp as catalog_bp
from functions.orchestrator import bp as orchestrator_bp

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

for blueprint in (catalog_bp, orchestrator_bp):
    app.register_functions(blueprint)
