"""The operation codes of the fused batch stage, shared by the plan and its runners.

A leaf module: ``augkit.fused.plan`` builds segments of these operations, and the runners
(``reference``, ``launch`` / ``triton_kernels``) execute them.
"""

from __future__ import annotations

# Operation codes (the kernels' ``OPS``).
HFLIP, VFLIP, JITTER, LIGHTING, NORMALIZE, CUTOUT, MIX = 1, 2, 3, 4, 5, 6, 7

#: float32 values per sample in each operation's parameter row.
ROW_WIDTH = {HFLIP: 1, VFLIP: 1, JITTER: 10, LIGHTING: 6, NORMALIZE: 9, CUTOUT: 5, MIX: 7}
