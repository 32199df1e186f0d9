# A KernelBench-form problem for the load_inline case of
# tests/sh/python_host.sh: ReLU.
import torch
import torch.nn as nn


class Model(nn.Module):
    def forward(self, x):
        return torch.relu(x)


N = 4096


def get_inputs():
    return [torch.randn(N)]


def get_init_inputs():
    return []
