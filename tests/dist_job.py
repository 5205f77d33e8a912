"""One rank of the 2-process streaming test: ``python dist_job.py SHARD_DIR OUT`` with RANK, WORLD_SIZE, MASTER_ADDR/PORT set."""

import glob
import os
import sys

import torch
import torch.distributed as dist
from scale_data import pipeline
from torch.utils.data import DataLoader

import augkit.stats
from augkit import ColorJitter, Normalize
from augkit.data import AugmentedIterable, DeviceLoader, Uint8Collate
from augkit.data.webdataset import shards


def batch_stage():
    return [ColorJitter(0.3, 0.3, 0.3), Normalize(mean=(0.5,) * 3)]


def epochs(urls, workers: int, count: int = 2) -> list[dict]:
    """key -> (augmented image, label) for each epoch, as this process sees them."""
    stream = AugmentedIterable(shards(urls, shuffle=3, seed=1), pipeline())
    loader = DeviceLoader(DataLoader(stream, batch_size=2, num_workers=workers, collate_fn=Uint8Collate()), "cpu", batch_stage(), seed=5)
    out = []
    for _ in range(count):
        seen = {}
        for batch in loader:
            for image, label, key in zip(batch.images, batch.labels, batch.keys):
                seen.setdefault(key, []).append((image.clone(), int(label)))
        out.append(seen)
    return out


if __name__ == "__main__":
    folder, target = sys.argv[1], sys.argv[2]
    dist.init_process_group("gloo")
    urls = sorted(glob.glob(os.path.join(folder, "*.tar")))
    result = {
        "epochs": epochs(urls, workers=2),
        "stats": torch.from_numpy(augkit.stats.compute(urls, progress=False, batch_size=3, distributed=True).mean.copy()),
    }
    torch.save(result, target)
    dist.barrier()
    dist.destroy_process_group()
