# A KernelBench-form problem whose inputs need the problem's own
# distributions: row indices must lie in [0, rows), which kaudit's default
# randint(-100, 100) does not give.  Used unchanged by
# tests/sh/python_get_inputs.sh with `init: {dist: get_inputs}`.
import torch
import torch.nn as nn


class Model(nn.Module):
    """Gathers rows of a table: out[i] = table[idx[i]] * weight[i]."""

    def __init__(self):
        super(Model, self).__init__()

    def forward(self, table, idx, weight):
        return table.index_select(0, idx) * weight.unsqueeze(1)


ROWS = 512
DIM = 32
PICKS = 1024


def get_inputs():
    table = torch.randn(ROWS, DIM)
    idx = torch.randint(0, ROWS, (PICKS,))
    weight = torch.rand(PICKS) + 0.5  # positive weights
    return [table, idx, weight]


def get_init_inputs():
    return []
