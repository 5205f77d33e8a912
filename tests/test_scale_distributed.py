"""Two processes (torch.distributed, gloo, loopback) stream WebDataset shards split by rank."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from scale_data import env, make_folder, pack

import augkit.stats

HERE = Path(__file__).resolve().parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_ranks_see_each_sample_once_with_the_one_process_augmentation(tmp_path):
    pytest.importorskip("webdataset")
    from dist_job import epochs

    folder = make_folder(tmp_path / "folder")
    urls = pack(folder, tmp_path / "shards")
    assert len(urls) >= 4  # shards to split between the ranks, and between their two workers
    port = _free_port()
    jobs = [
        subprocess.Popen(
            [sys.executable, str(HERE / "dist_job.py"), str(tmp_path / "shards"), str(tmp_path / f"rank{rank}.pt")],
            env={**env(), "RANK": str(rank), "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)},
            cwd=HERE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for rank in range(2)
    ]
    for job in jobs:
        try:
            _, err = job.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            for other in jobs:
                other.kill()
            raise
        assert job.returncode == 0, err.decode()[-2000:]
    ranks = [torch.load(tmp_path / f"rank{r}.pt") for r in range(2)]
    single = epochs(urls, workers=0)
    for epoch, reference in enumerate(single):
        merged = {}
        for result in ranks:
            for key, seen in result["epochs"][epoch].items():
                merged.setdefault(key, []).extend(seen)
        assert sorted(merged) == sorted(reference) and len(merged) == 14
        assert all(len(seen) == 1 for seen in merged.values()), "a sample was seen twice in one epoch"
        assert set(ranks[0]["epochs"][epoch]).isdisjoint(ranks[1]["epochs"][epoch]) and all(r["epochs"][epoch] for r in ranks)
        for key, ((image, label),) in merged.items():
            assert torch.equal(image, reference[key][0][0]) and label == reference[key][0][1]
    assert not all(torch.equal(single[0][k][0][0], single[1][k][0][0]) for k in single[0])
    assert ranks[0]["stats"].tolist() == ranks[1]["stats"].tolist()
    assert np.allclose(ranks[0]["stats"].numpy(), augkit.stats.compute(urls, progress=False).mean, rtol=1e-12, atol=0)
