"""Exceptions raised by augkit."""

from __future__ import annotations


class ImageDecodeError(ValueError):
    """An input could not be decoded to an image.

    The message names the source (a path, or a description such as ``<bytes: 1234>``)
    and the reason, so that one bad file among millions can be found.

    Attributes:
        source: The path or a short description of the input that failed.
        reason: Why it failed (None when the error was re-raised from a DataLoader worker:
            the message is then the worker's traceback, which names the source).
    """

    def __init__(self, source: str, reason: str | None = None) -> None:
        # One argument is a complete message: the DataLoader re-raises a worker's exception
        # as ``type(error)(formatted_traceback)``, which must give an ImageDecodeError again.
        super().__init__(source if reason is None else f"cannot decode {source}: {reason}")
        self.source = source
        self.reason = reason

    def __reduce__(self):
        # Keeps the exception picklable, so it crosses DataLoader worker boundaries intact.
        return (type(self), (self.source, self.reason))


class UnsupportedTargetError(TypeError):
    """A transform was given a target (mask, boxes, keypoints) it cannot move.

    The message names the transform and the target kind.
    """
