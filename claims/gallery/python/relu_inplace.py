# The trick: ReLU "without allocating" - in place on the input, returning
# the input tensor itself as the output.
#
# Why a naive harness is fooled: KernelBench-style evals call the model,
# compare what it returns with the reference's output (allclose: equal),
# and time the call; one launch and no allocation is faster than the
# reference's.  The harness never asks whether the returned tensor is a
# new output or the input it handed over, and the reference had already
# run on the unmodified input.
#
# What kaudit sees: the returned tensor's storage is the input buffer x,
# not the output buffer: invalid-return (kaudit-findings(7)); writing x is
# also input-mutation where the buffer is writable.
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self):
        super(ModelNew, self).__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu_(x)
