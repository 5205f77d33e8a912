"""``augkit.tta.predict`` / ``predict_loader`` show a progress bar counting images, unless ``progress=False``."""

from __future__ import annotations

import numpy as np
import torch

from augkit import tta
from augkit.transforms import TenCrop


def _scores(x: torch.Tensor) -> torch.Tensor:
    return x.float().mean(dim=(2, 3))


def test_predict_shows_a_progress_bar_unless_told_not_to(capsys):
    images = [np.full((8, 8, 3), v, np.uint8) for v in (0, 50, 100)]
    shown = tta.predict(_scores, images, TenCrop(4), batch_size=7)
    err = capsys.readouterr().err
    assert "augkit predict" in err and "3/3" in err
    quiet = tta.predict(_scores, images, TenCrop(4), batch_size=7, progress=False)
    assert capsys.readouterr().err == ""
    torch.testing.assert_close(shown, quiet, rtol=0, atol=0)


def test_predict_loader_counts_images(capsys):
    data = tta.TTADataset([(np.full((8, 8, 3), v, np.uint8), v) for v in (0, 50, 100, 150)], TenCrop(4))
    loader = torch.utils.data.DataLoader(data, batch_size=3, collate_fn=tta.tta_collate)
    scores, targets = tta.predict_loader(_scores, loader, batch_size=5)
    err = capsys.readouterr().err
    assert "augkit predict" in err and "4/4" in err
    assert targets.tolist() == [0, 50, 100, 150]
    images = [data.base[i][0] for i in range(4)]
    torch.testing.assert_close(scores, tta.predict(_scores, images, TenCrop(4), batch_size=5, progress=False), rtol=0, atol=0)
    tta.predict_loader(_scores, loader, progress=False)
    assert capsys.readouterr().err == ""
