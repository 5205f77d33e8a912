"""Captions: the parameters a pipeline drew for one image, as short ``Name: field=value`` lines.

A parameter class describes itself when it has a ``describe()`` method returning the text
after ``Name: `` (a string, or a list of ``field=value`` tokens); any other parameter
dataclass gets the generic caption: its fields as ``field=value`` (None fields skipped,
floats to 3 significant digits, booleans as yes / no, a ``top, left, height, width``
window as ``box=WIDTHxHEIGHT@(left,top)``). So a new transform has a readable caption
without any change here.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch

from augkit.preview.steps import Step, steps
from augkit.transforms.base import Applied, Transform

_BOX_FIELDS = ("top", "left", "height", "width")


def format_value(value: Any) -> str:
    """Format one parameter value for a caption (short: rounded floats, ``<shape>`` for large arrays).

    Example:
        >>> format_value(0.123456), format_value(True), format_value(np.zeros((4, 4)))
        ('0.123', 'yes', '<4x4>')
    """
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.3g}"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return format_value(value.item())
        if value.size > 6:
            return f"<{'x'.join(map(str, value.shape))}>"
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return "(" + ",".join(format_value(v) for v in value) + ")"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return "(" + " ".join(field_tokens(value)) + ")"
    return str(value)


def field_tokens(params: Any) -> list[str]:
    """The generic caption of a parameter dataclass: ``field=value`` tokens, a window as ``box=WxH@(x,y)``."""
    values = {f.name: getattr(params, f.name) for f in dataclasses.fields(params)}
    tokens = []
    if all(values.get(k) is not None and np.ndim(values[k]) == 0 for k in _BOX_FIELDS):
        top, left, height, width = (int(values.pop(k)) for k in _BOX_FIELDS)
        tokens.append(f"box={width}x{height}@({left},{top})")
    tokens += [f"{name}={format_value(value)}" for name, value in values.items() if value is not None]
    return tokens


def _leaf_text(params: Any) -> str:
    """The text after ``Name: `` for one leaf's parameters ('' when there is nothing to say)."""
    describe = getattr(params, "describe", None)
    if callable(describe):
        text = describe()
        return text if isinstance(text, str) else " ".join(map(str, text))
    if dataclasses.is_dataclass(params):
        return " ".join(field_tokens(params))
    return format_value(params)


def step_line(step: Step) -> str | None:
    """The caption line of one step, or None for a step with nothing to show (``ToTensor``)."""
    params = step.params
    if step.skipped:
        return f"{step.name if step.transform is not None else 'RandomApply'}: skipped"
    if params is None:
        return f"OneOf: {step.chosen_by}" if step.chosen_by else None
    if isinstance(params, Applied):
        if params.params is None or not step.ran:
            return f"{step.name}: {params.label}={format_value(step.ran)}"
        params = params.params
    text = _leaf_text(params)
    return f"{step.name}: {text}" if text else step.name


def describe_params(params: Any, transform: Transform | None = None) -> list[str]:
    """Describe sampled parameters as short ``Name: field=value`` lines, one per transform.

    Containers are opened (``Compose``, ``RandomApply``, ``OneOf``, with the matching
    transform when given, for the names); parameter-free transforms are skipped; a
    ``RandomApply`` that did not run reads ``Name: skipped``. Each leaf's text comes from
    its parameters (see the module docstring).

    Args:
        params: What ``transform.sample`` (or ``run``) returned for one image.
        transform: The transform that drew them (optional; gives the class names).

    Returns:
        A list of lines.

    Example:
        >>> from augkit.transforms.containers import ComposeParams
        >>> from augkit.transforms.geometry import CropParams, FlipParams
        >>> describe_params(ComposeParams((CropParams(1, 2, 30, 40), None, FlipParams(True))))
        ['Crop: box=40x30@(2,1)', 'Flip: flip=yes']
    """
    lines = (step_line(step) for step in steps(params, transform))
    return [line for line in lines if line is not None]
