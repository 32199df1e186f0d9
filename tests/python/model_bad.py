# Candidates whose returned value cannot be an output, one that raises, and
# one that computes only the first row (tests/sh/python_host.sh).
import torch
import torch.nn as nn


class AliasInput(nn.Module):
    def __init__(self, scale):
        super().__init__()

    def forward(self, A, B):
        return A


class WrongShape(nn.Module):
    def __init__(self, scale):
        super().__init__()

    def forward(self, A, B):
        return (A @ B).reshape(-1)


class WrongDtype(nn.Module):
    def __init__(self, scale):
        super().__init__()

    def forward(self, A, B):
        return (A @ B).double()


class Raises(nn.Module):
    def __init__(self, scale):
        super().__init__()

    def forward(self, A, B):
        raise ValueError("boom from forward")


class Cached(nn.Module):
    def __init__(self, scale):
        super().__init__()
        self.scale = scale
        self.out = None

    def forward(self, A, B):
        if self.out is None:
            self.out = torch.matmul(A, B) * self.scale
        return self.out


class FirstRow(nn.Module):
    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, A, B):
        C = torch.zeros(A.shape[0], B.shape[1])
        C[0] = (A[0:1] @ B)[0] * self.scale
        return C


def scaled_mm(A, B):
    """A function entry (no module): C = 2 * (A @ B)."""
    return 2.0 * (A @ B)
