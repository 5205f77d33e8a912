"""Pure, deterministic kernels. No randomness lives here: transforms draw and pass parameters.

One rule for the image arguments of every kernel (each kernel's docstring says whether it
takes arrays, tensors or both):

- A numpy array is one HWC image: ``(height, width, channels)`` (the sample stage).
- A tensor is ``[..., C, H, W]``: one ``[C, H, W]`` image or any number of leading batch
  dimensions (``[B, C, H, W]``, ``[N, V, C, H, W]``, ...), including empty ones (``B = 0``).
  Per-sample parameters are either a scalar (or one value per channel), shared by every
  image, or have the leading dimensions' shape (``[B]`` for ``[B, C, H, W]``). The one
  exception is ``mix.mix_images``, which pairs sample ``i`` with sample ``B - 1 - i`` and so
  takes exactly ``[B, C, H, W]``.
- Any memory layout (contiguous, channels-last, strided views) gives the same values.
- A kernel never writes to its input. It returns a new array or tensor on the input's
  device (or, where its docstring says so, the input itself or a view of it).
- Photometric, geometric and erasing kernels keep the dtype; ``normalize``,
  ``subtract_mean_image``, ``denormalize`` and ``whiten`` return float32.

``tests/test_kernels.py`` checks every public kernel against this rule.
"""
