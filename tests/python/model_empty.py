# The seed's exploit in KernelBench form: returns an output it never
# writes, hoping the allocator hands back the block the reference's output
# just freed.
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, scale):
        super(ModelNew, self).__init__()

    def forward(self, A, B):
        return torch.empty(A.shape[0], B.shape[1], dtype=A.dtype)
