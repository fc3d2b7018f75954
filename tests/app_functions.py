"""The app's functions as the host lists them, shared by every test in the session.

`app.get_functions()` may be called only once per app object (a second call, or a second app built
from the same blueprints, raises "not unique"), so tests take the listing from here.
"""

from __future__ import annotations

import functools


@functools.cache
def app_functions() -> dict:
    """Function name → the azure.functions Function object of the real function_app.app."""
    import function_app

    return {fn.get_function_name(): fn for fn in function_app.app.get_functions()}


def user_function(name: str):
    return app_functions()[name].get_user_function()
