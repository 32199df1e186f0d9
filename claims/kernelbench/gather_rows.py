# A KernelBench-form problem (level 1 style) whose inputs need its own
# distributions: row indices in [0, ROWS) and positive weights.  Its
# manifest takes idx and weight from get_inputs() (init: {dist:
# get_inputs}); kaudit's default randint(-100, 100) would index outside.
import torch
import torch.nn as nn


class Model(nn.Module):
    """Weighted row gather: out[i] = table[idx[i]] * weight[i]."""

    def __init__(self):
        super(Model, self).__init__()

    def forward(self, table, idx, weight):
        return table.index_select(0, idx) * weight.unsqueeze(1)


ROWS = 32768
DIM = 128
PICKS = 131072


def get_inputs():
    table = torch.randn(ROWS, DIM)
    idx = torch.randint(0, ROWS, (PICKS,))
    weight = torch.rand(PICKS) + 0.5
    return [table, idx, weight]


def get_init_inputs():
    return []
