"""The two kinds of failure the command line tells apart.

Everything the user can fix raises one of these with a one-line message that says what to do;
the CLI prints it on stderr and exits with the code, no traceback unless --debug.
"""


class SightgagError(Exception):
    """A runtime failure: a backend that is down, times out or returns junk. Exit status 1."""

    exit_code = 1


class UsageError(SightgagError):
    """Bad input from the user: an empty request, an unknown spec, a missing key. Exit status 2."""

    exit_code = 2


def first_line(error: BaseException) -> str:
    """The first line of an error's message (libraries' messages run to pages), or its type's name."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
