"""devhost: a local stand-in for the Azure Functions host and the Durable Functions extension.

Runs an unchanged Python v2-model Function App (function_app.py) on one machine:
HTTP triggers, the Durable Functions HTTP API and client RPC endpoint, orchestrations replayed
through the real azure-functions-durable SDK, activities, blob and timer triggers, with state kept
on disk (SQLite, WAL) so a restart resumes unfinished work. Never deployed (.funcignore).

    python -m devhost [--app-dir DIR] [--port 7071] [--data-dir DIR]

devhost knows only the public Functions/Durable contracts, never the app's own modules.
"""
