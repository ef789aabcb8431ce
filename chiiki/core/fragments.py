"""Values a page computes only when its public fragment is rendered (see templatetags/public_fragment.py)."""

from functools import cache


class DeferredValueFailed(RuntimeError):
    pass


def deferred(compute):
    """compute, called at most once, when the template first reads the value (a template calls a callable it
    finds in its context). Inside a public fragment that is only when the fragment is not yet stored, so a stored
    fragment costs none of the queries behind it."""

    @cache
    def value():
        try:
            return compute()
        except Exception as exc:
            # A template turns an error it thinks harmless (DoesNotExist) into an empty value: the fragment would
            # be stored half empty for everyone. Computed in the view, it was an error page; so it stays an error.
            if getattr(exc, "silent_variable_failure", False):
                raise DeferredValueFailed(f"{type(exc).__name__}: {exc}") from exc
            raise

    return value
