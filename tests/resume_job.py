"""Resume a DeviceLoader in a fresh process: ``python resume_job.py MODE DATA WORKERS STATE.json OUT.pt``."""

import json
import sys

import torch
from scale_data import build_loader, run_epochs

if __name__ == "__main__":
    mode, data, workers, state, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
    loader = build_loader(mode, data, workers)
    with open(state) as handle:
        loader.load_state_dict(json.load(handle))
    torch.save(run_epochs(loader, until_epoch=2), out)
