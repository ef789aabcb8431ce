"""Values a page computes only when its public fragment is rendered (see templatetags/public_fragment.py)."""

from functools import cache


def deferred(compute):
    """compute, called at most once, when the template first reads the value (a template calls a callable it
    finds in its context). Inside a public fragment that is only when the fragment is not yet stored, so a stored
    fragment costs none of the queries behind it."""
    return cache(compute)
