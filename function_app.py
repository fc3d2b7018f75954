"""The Function App: one DFApp that registers each blueprint. Nothing else lives here."""

import azure.durable_functions as df
import azure.functions as func

from functions.assets import bp as assets_bp
from functions.batch import bp as batch_bp
from functions.catalog import bp as catalog_bp
from functions.cleanup import bp as cleanup_bp
from functions.layers import bp as layers_bp
from functions.openapi import bp as openapi_bp
from functions.orchestrator import bp as orchestrator_bp
from functions.references import bp as references_bp
from functions.speech_token import bp as speech_token_bp
from functions.upload_image import bp as upload_image_bp

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

for blueprint in (catalog_bp, orchestrator_bp, upload_image_bp, assets_bp, cleanup_bp, openapi_bp, batch_bp,
                  speech_token_bp, references_bp, layers_bp):
    app.register_functions(blueprint)
