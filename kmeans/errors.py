"""The package's own exception type.

Every error meant for a person is raised as a :class:`KMeansError` whose message is one plain
sentence, so the command line and the page can show ``str(error)`` as it is, never a traceback.
"""


class KMeansError(ValueError):
    """A problem the user can act on; ``str(error)`` is one sentence that says what and why.

    A :class:`ValueError`, as NumPy and scikit-learn users expect of a bad argument.
    """


class BadImageError(KMeansError):
    """The input is not an image this tool can read: not an image, damaged, or too large."""
