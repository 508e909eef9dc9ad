"""Code generator for intercom_async: pinned spec -> normalised spec -> versioned async packages.

Run it as ``python -m codegen <command>`` (see ``codegen/__main__.py``) or through ``make generate``.
It is a development tool: the SDK at runtime never imports it.
"""
