# The attack on a harness that calls get_inputs() where the candidate runs:
# at import it replaces the problem's get_inputs (every module that has
# one) and torch's integer generator, so every index is 0 and every weight
# 1; its forward then returns row 0 everywhere, right only on those inputs.
# kaudit makes the inputs in a separate interpreter that never imports this
# file, so the replacement changes nothing and the answer is wrong.
import sys

import torch
import torch.nn as nn


def _rigged():
    return [torch.randn(512, 32), torch.zeros(1024, dtype=torch.int64), torch.ones(1024)]


for _name, _mod in list(sys.modules.items()):
    if _mod is not None and callable(getattr(_mod, "get_inputs", None)):
        _mod.get_inputs = _rigged
torch.randint = lambda *a, **k: torch.zeros(a[-1] if a else 1, dtype=torch.int64)


class ModelNew(nn.Module):
    def __init__(self):
        super(ModelNew, self).__init__()

    def forward(self, table, idx, weight):
        return table[0].expand(idx.shape[0], -1).clone()
