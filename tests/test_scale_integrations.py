"""Optional integrations: Hugging Face datasets, Lightning, accelerate (skipped without the package)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from augkit import Compose, HorizontalFlip, Normalize, RandomCrop, RandomResizedCrop, ToTensor
from augkit.data import AugmentedDataset, AugmentedIterable, DeviceLoader, EpochSampler, Uint8Collate
from augkit.rng import derive_generator


def _arrays(n=6):
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (20 + i, 24, 3), dtype=np.uint8) for i in range(n)]


@pytest.fixture(scope="module")
def hf_dataset():
    datasets = pytest.importorskip("datasets")
    arrays = _arrays()
    features = datasets.Features({"image": datasets.Image(), "label": datasets.Value("int64")})
    return datasets.Dataset.from_dict({"image": [Image.fromarray(a) for a in arrays], "label": list(range(6))}, features=features), arrays


def _pipe():
    return Compose([RandomResizedCrop(8), ToTensor()])


def test_hf_map_style_is_seeded_by_index(hf_dataset):
    from augkit.data.huggingface import from_hf

    dataset, arrays = hf_dataset
    wrapped = from_hf(dataset, _pipe(), seed=1)
    assert isinstance(wrapped, AugmentedDataset) and len(wrapped) == 6
    wrapped.set_epoch(2)
    image, label = wrapped[4]
    assert label == 4 and torch.equal(image, _pipe()(arrays[4], rng=derive_generator(1, 2, 4)))  # PNG-stored: lossless


def test_hf_streaming_is_seeded_by_key_whatever_the_workers(hf_dataset):
    from augkit.data.huggingface import from_hf

    dataset, _ = hf_dataset
    runs = []
    for workers in (0, 2):
        stream = from_hf(dataset.to_iterable_dataset(num_shards=3), _pipe(), seed=1)
        assert isinstance(stream, AugmentedIterable) and stream.split == "source"
        batches = DataLoader(stream, batch_size=2, num_workers=workers, collate_fn=Uint8Collate())
        runs.append({k: (img, int(t)) for b in batches for img, t, k in zip(b.images, b.labels, b.keys)})
    assert len(runs[0]) == 6 and runs[0].keys() == runs[1].keys()
    assert all(torch.equal(runs[0][k][0], runs[1][k][0]) and runs[0][k][1] == runs[1][k][1] for k in runs[0])


def test_hf_set_transform_reached_by_the_device_loader(hf_dataset):
    from augkit.data.huggingface import HFCollate, SetTransform, from_hf

    dataset, _ = hf_dataset
    keyed = dataset.add_column("key", list(range(len(dataset))))
    transform = SetTransform(_pipe())
    keyed.set_transform(transform)
    loader = DeviceLoader(DataLoader(keyed, batch_size=3, num_workers=2, collate_fn=HFCollate()), "cpu", seed=7)
    assert loader.datasets == [transform]
    epochs = [list(loader) for _ in range(2)]
    assert transform.seed == 7 and transform.epoch == 1
    reference = from_hf(dataset, _pipe(), seed=7)
    for epoch, batches in enumerate(epochs):
        reference.set_epoch(epoch)
        for batch in batches:
            assert all(torch.equal(image, reference[int(k)][0]) for image, k in zip(batch.images, batch.keys))


def test_lightning_batch_stage_in_fast_dev_run():
    lightning = pytest.importorskip("lightning")
    from augkit.lightning import BatchStage

    base = [(np.random.default_rng(i).integers(0, 256, (10, 10, 3), dtype=np.uint8), i % 2) for i in range(8)]
    dataset = AugmentedDataset(base, Compose([RandomCrop(8), ToTensor()]))
    loader = DataLoader(dataset, batch_size=4, sampler=EpochSampler(dataset), collate_fn=Uint8Collate())
    transforms = [HorizontalFlip(), Normalize(mean=(0.5,) * 3)]
    stage = BatchStage(transforms, seed=3)
    seen = []

    class Model(lightning.LightningModule):
        def __init__(self):
            super().__init__()
            self.layer = torch.nn.Linear(3 * 8 * 8, 2)

        def on_after_batch_transfer(self, batch, dataloader_idx):
            return stage(batch, self.trainer) if self.trainer.training else batch

        def training_step(self, batch, batch_idx):
            images, labels = batch
            seen.append(images.clone())
            return torch.nn.functional.cross_entropy(self.layer(images.flatten(1)), labels)

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    trainer = lightning.Trainer(
        fast_dev_run=2, accelerator="cpu", callbacks=[stage], logger=False, enable_progress_bar=False, enable_model_summary=False
    )
    trainer.fit(Model(), train_dataloaders=loader)
    assert len(seen) == 2 and dataset.seed == 3 and seen[0].dtype == torch.float32
    fresh = AugmentedDataset(base, Compose([RandomCrop(8), ToTensor()]))
    reference = list(
        DeviceLoader(DataLoader(fresh, batch_size=4, sampler=EpochSampler(fresh), collate_fn=Uint8Collate()), "cpu", transforms, seed=3)
    )
    assert all(torch.equal(a, b.images) for a, b in zip(seen, reference))


def test_accelerate_recipe_places_batches_and_keeps_the_draws():
    accelerate = pytest.importorskip("accelerate")
    base = [(np.random.default_rng(i).integers(0, 256, (10, 10, 3), dtype=np.uint8), i % 2) for i in range(8)]

    def loader(prepare):
        dataset = AugmentedDataset(base, Compose([RandomCrop(8), ToTensor()]))
        plain = DataLoader(dataset, batch_size=4, sampler=EpochSampler(dataset), collate_fn=Uint8Collate())
        return DeviceLoader(prepare(plain), accelerator.device, Normalize(mean=(0.5,) * 3), seed=3)

    accelerator = accelerate.Accelerator(cpu=True)
    prepared = list(loader(accelerator.prepare))
    reference = list(loader(lambda x: x))
    assert len(prepared) == 2 and all(torch.equal(a.images, b.images) and torch.equal(a.keys, b.keys) for a, b in zip(prepared, reference))


def test_augkit_and_augkit_data_never_import_the_optional_packages():
    import subprocess
    import sys

    code = (
        "import sys, augkit, augkit.data, augkit.data.webdataset, augkit.data.huggingface\n"
        "print(sorted(m for m in ('webdataset', 'datasets', 'lightning', 'pytorch_lightning', 'accelerate') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
