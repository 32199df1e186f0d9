# KernelBench-form problem (our own): SiLU over 2^24 floats.
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super(Model, self).__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(x)


N = 1 << 24


def get_inputs():
    return [torch.randn(N)]


def get_init_inputs():
    return []
