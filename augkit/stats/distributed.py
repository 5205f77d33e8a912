"""Combining ``Stats`` across ``torch.distributed`` ranks, identically on every rank.

Each rank's exact state is gathered as tensors (never pickled objects), and every rank merges
the gathered partials in rank order, so all ranks hold bit-identical results.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.distributed as dist

from augkit.stats.state import StatsState


def all_reduce(state: StatsState, group=None) -> StatsState:
    """Return the merge of ``state`` over all ranks of ``group`` (on every rank).

    Args:
        state: This rank's ``StatsState`` (``Stats.state()``; may hold no images).
        group: A process group, default the world.

    Returns:
        The global ``StatsState`` (``Stats.all_reduce`` wraps it in a ``Stats``).

    Raises:
        RuntimeError: ``torch.distributed`` is not initialized.
        ValueError: Ranks disagree on channels or mean image size.
    """
    if not (dist.is_available() and dist.is_initialized()):
        raise RuntimeError("Stats.all_reduce needs torch.distributed to be initialized (init_process_group)")
    world = dist.get_world_size(group)
    mean_image = state.mean_image
    channels = state.channels
    shape = (0, 0) if mean_image is None else mean_image.shape[:2]
    meta = torch.tensor([state.num_images, state.num_pixels, channels, *shape], dtype=torch.int64)
    metas = _gather(meta, world, group)
    channel_counts = {int(m[2]) for m in metas}
    if len(channel_counts) != 1:
        raise ValueError(f"ranks hold statistics of different channel counts: {sorted(channel_counts)}")
    payload = torch.from_numpy(np.concatenate([state.mean, state.m2.ravel()]))
    payloads = _gather(payload, world, group)
    sizes = {tuple(int(v) for v in m[3:]) for m in metas if int(m[0]) > 0}
    images: list[np.ndarray | None] = [None] * world
    if any(size != (0, 0) for size in sizes):
        if len(sizes) != 1:
            raise ValueError(f"ranks hold mean images of different sizes (or none): {sorted(sizes)}")
        (height, width) = sizes.pop()
        local = mean_image if mean_image is not None else np.zeros((height, width, channels))
        gathered = _gather(torch.from_numpy(np.ascontiguousarray(local, dtype=np.float64)), world, group)
        images = [g.numpy() if int(m[0]) > 0 else None for g, m in zip(gathered, metas)]
    total = StatsState.nothing(channels)
    for m, p, image in zip(metas, payloads, images):
        if int(m[0]) == 0 and int(m[1]) == 0:
            continue
        values = p.numpy()
        total = total.merge(StatsState(int(m[0]), int(m[1]), values[:channels], values[channels:].reshape(channels, channels), image))
    return total


def _gather(tensor: torch.Tensor, world: int, group) -> list[torch.Tensor]:
    out = [torch.empty_like(tensor) for _ in range(world)]
    dist.all_gather(out, tensor.contiguous(), group=group)
    return out
