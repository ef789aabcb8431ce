"""Helpers for the browser tests of every app."""


def collect_errors(page) -> list[str]:
    """Collect uncaught page errors and console errors (e.g. a failed static file) while a test runs."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors
