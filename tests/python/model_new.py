# An honest KernelBench-form solution: ModelNew, a reformulation of Model.
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, scale):
        super(ModelNew, self).__init__()
        self.scale = scale

    def forward(self, A, B):
        return torch.mm(A * self.scale, B)
