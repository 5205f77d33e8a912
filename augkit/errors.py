"""Exceptions raised by augkit."""

from __future__ import annotations


class ImageDecodeError(ValueError):
    """An input could not be decoded to an image.

    The message names the source (a path, or a description such as ``<bytes: 1234>``)
    and the reason, so that one bad file among millions can be found.

    Attributes:
        source: The path or a short description of the input that failed.
        reason: Why it failed.
    """

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"cannot decode {source}: {reason}")
        self.source = source
        self.reason = reason

    def __reduce__(self):
        # Keeps the exception picklable, so it crosses DataLoader worker boundaries intact.
        return (type(self), (self.source, self.reason))
