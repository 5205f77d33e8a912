"""Renamed keyword arguments: the old names keep working for a release, with a ``DeprecationWarning``."""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable
from types import FrameType
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def _owner(function: Callable[..., Any]) -> str:
    """How messages name ``function``: ``PCALighting`` for a constructor, else its name."""
    name = function.__qualname__
    return name[: -len(".__init__")] if name.endswith(".__init__") else name


def _caller_level() -> int:
    """The ``stacklevel`` of the first frame outside augkit, above the decorated function's wrapper."""
    level = 2
    frame: FrameType | None = sys._getframe(2)  # 0: this function, 1: the wrapper, 2: its caller
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] == "augkit":
        level, frame = level + 1, frame.f_back
    return level


def renamed_arguments(**renames: str) -> Callable[[F], F]:
    """Accept the old names of renamed keyword arguments, given as ``old_name="new_name"``.

    A call using an old name warns (``DeprecationWarning``, pointing at the caller outside
    augkit) and runs with the new name. Giving both names is a ``TypeError``. A ``ValueError``
    or ``TypeError`` raised for such a call names the old argument too, so a message about
    ``alpha_std`` still makes sense to a caller who wrote ``alphastd=``.

    Args:
        renames: ``old_name="new_name"`` pairs.

    Returns:
        A decorator for functions and constructors; ``renamed_from`` reads its renames back.

    Example:
        >>> @renamed_arguments(alphastd="alpha_std")
        ... def lighting(*, alpha_std=0.1):
        ...     return alpha_std
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     value = lighting(alphastd=0.2)
        >>> value, caught[0].category.__name__
        (0.2, 'DeprecationWarning')
    """

    def decorate(function: F) -> F:
        owner = _owner(function)

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            used = [(old, new) for old, new in renames.items() if old in kwargs]
            for old, new in used:
                if new in kwargs:
                    raise TypeError(f"{owner}() got both {new}= and its deprecated name {old}=: give {new}= only")
                warnings.warn(
                    f"{owner}({old}=...) is deprecated: the argument is now called {new}= (the old name goes in a later release)",
                    DeprecationWarning,
                    stacklevel=_caller_level(),
                )
                kwargs[new] = kwargs.pop(old)
            if not used:
                return function(*args, **kwargs)
            try:
                return function(*args, **kwargs)
            except (TypeError, ValueError) as error:
                if type(error) not in (TypeError, ValueError):
                    raise
                given = ", ".join(f"{new} given as {old}=" for old, new in used)
                raise type(error)(f"{error} ({given})").with_traceback(error.__traceback__) from None

        wrapper._augkit_renamed = dict(renames)  # type: ignore[attr-defined]  # read by renamed_from
        return wrapper  # type: ignore[return-value]  # the same signature, with old names accepted too

    return decorate


def renamed_from(function: Callable[..., Any]) -> dict[str, str]:
    """The ``old_name: new_name`` renames ``function`` (or a wrapper of it) accepts; empty if none."""
    return dict(getattr(function, "_augkit_renamed", {}))
