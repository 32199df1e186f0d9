# An honest ModelNew for gather_rows.py: advanced indexing and a broadcast
# multiply instead of index_select and unsqueeze; the same rows.
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self):
        super(ModelNew, self).__init__()

    def forward(self, table, idx, weight):
        return table[idx] * weight[:, None]
