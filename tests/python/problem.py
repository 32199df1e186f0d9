# A KernelBench-form problem (level 1 style), used unchanged by
# tests/sh/python_host.sh: Model, get_inputs, get_init_inputs.
import torch
import torch.nn as nn


class Model(nn.Module):
    """Scaled matrix multiplication: C = scale * (A @ B)."""

    def __init__(self, scale):
        super(Model, self).__init__()
        self.scale = scale

    def forward(self, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        return torch.matmul(A, B) * self.scale


M = 64
K = 64
N = 64


def get_inputs():
    A = torch.randn(M, K)
    B = torch.randn(K, N)
    return [A, B]


def get_init_inputs():
    return [2.0]
