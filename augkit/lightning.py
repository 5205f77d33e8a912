"""Lightning: augkit's batch stage on the device, inside a ``LightningModule``.

Lightning moves each batch to the device itself; ``BatchStage`` then runs the batch stage
from the module's ``on_after_batch_transfer`` hook, with the same per-sample parameters a
``DeviceLoader`` would draw (``SampleStreams(seed, epoch, keys)``), and, registered as a
callback, sets the epoch and seed of the augkit datasets under the training loaders at the
start of every epoch::

    stage = augkit.lightning.BatchStage(pipeline.batch, seed=0)

    class Model(lightning.LightningModule):
        def on_after_batch_transfer(self, batch, dataloader_idx):
            return stage(batch, self.trainer) if self.trainer.training else batch

    lightning.Trainer(callbacks=[stage]).fit(Model(), train_dataloaders=loader)

Needs ``lightning`` (or ``pytorch_lightning``): ``pip install augkit[lightning]``. This module
is not imported by ``import augkit``.
"""

from __future__ import annotations

from typing import Any

import torch

from augkit.data.datasets import datasets_under
from augkit.data.loader import DeviceLoader, _format_transform, _is_augmented
from augkit.targets import as_batch

try:
    from lightning.pytorch import Callback as _Callback
except ImportError:  # pragma: no cover - the older package name
    try:
        # Another module's class of the same name (unused where pytorch_lightning is not installed).
        from pytorch_lightning import Callback as _Callback  # type: ignore[assignment, unused-ignore]
    except ImportError:
        _Callback = object  # type: ignore[assignment,misc]


def _loaders(value) -> list:
    """The DataLoaders in what ``trainer.train_dataloader`` holds (one, or a list / dict of them)."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [loader for item in value.values() for loader in _loaders(item)]
    if isinstance(value, (list, tuple)):
        return [loader for item in value for loader in _loaders(item)]
    flattened = getattr(value, "flattened", None)
    if isinstance(flattened, list):
        return flattened
    return [value]


def augmented_under(loader) -> list:
    """The augkit datasets (and ``set_transform`` transforms) under a DataLoader's dataset."""
    top = getattr(loader, "dataset", None)
    found = [d for d in datasets_under(top) if _is_augmented(d)]
    transform = _format_transform(top)
    return found + ([transform] if transform is not None else [])


class BatchStage(_Callback):
    """Run augkit's batch stage on Lightning batches after they reach the device.

    Call it from ``LightningModule.on_after_batch_transfer`` as ``stage(batch, self.trainer)``
    (batches: an ``augkit.Batch``, an ``(images, targets)`` pair or images); register it in
    ``Trainer(callbacks=[...])`` so each epoch's number reaches the augkit datasets before
    their workers start. The epoch is ``trainer.current_epoch`` and the batch index Lightning's,
    so the draws are those of ``DeviceLoader`` at that epoch: keyed per sample (bit-identical
    whatever the batch size, workers or rank), once-per-batch ones (Mixup pairing) by the
    global batch index, ``local * world_size + rank``.

    Args:
        transforms: A batch-stage transform, a list of them, or a ``Pipeline`` (its batch stage).
        seed: The experiment's seed (given to the augkit datasets built without one), or None
            for torch's seed at construction.
        channels_last: As ``DeviceLoader``.
        fused: As ``DeviceLoader``.
    """

    def __init__(self, transforms, *, seed: int | None = None, channels_last: bool = False, fused: bool | None = None) -> None:
        if _Callback is object:
            raise ImportError("augkit.lightning needs Lightning: pip install lightning (or augkit[lightning])")
        super().__init__()
        self._options: dict[str, Any] = {"channels_last": channels_last, "fused": fused}
        self._transforms = transforms
        reference = DeviceLoader(None, "cpu", transforms, seed=seed, **self._options)
        self.seed = reference.seed
        self._runners: dict[torch.device, DeviceLoader] = {reference.device: reference}
        self._epoch = -1
        self._position = 0

    def _runner(self, device: torch.device) -> DeviceLoader:
        if device not in self._runners:
            self._runners[device] = DeviceLoader(None, device, self._transforms, seed=self.seed, **self._options)
        return self._runners[device]

    def set_epoch(self, epoch: int, trainer=None) -> None:
        """Use ``epoch`` from now on, and pass it (and the seed) to the augkit datasets of ``trainer``'s training loaders."""
        self._epoch, self._position = int(epoch), 0
        for runner in self._runners.values():
            runner.epoch = self._epoch
        if trainer is not None:
            for loader in _loaders(getattr(trainer, "train_dataloader", None)):
                for dataset in augmented_under(loader):
                    dataset.adopt_seed(self.seed)
                    dataset.set_epoch(self._epoch)

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        """Lightning hook: set the epoch before the training loader's workers start."""
        self.set_epoch(trainer.current_epoch, trainer)

    def __call__(self, batch: Any, trainer) -> Any:
        """Apply the batch stage to a batch already on the device.

        Args:
            batch: The transferred batch.
            trainer: The ``Trainer`` (``self.trainer`` in the module).

        Returns:
            The transformed batch, in the form it came in.
        """
        if trainer.current_epoch != self._epoch:
            self.set_epoch(trainer.current_epoch)
        batch_index = int(trainer.fit_loop.epoch_loop.batch_progress.current.ready)
        data = as_batch(batch)
        runner = self._runner(data.images.device)
        runner.epoch = self._epoch
        out = runner.apply_transforms(batch, batch_index, self._position)
        self._position += data.size
        return out
