# Honest pure-PyTorch reformulation: scale the input (N^2 multiplies before
# the matmul) instead of the output (an extra pass over C after it).
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, scale):
        super(ModelNew, self).__init__()
        self.scale = scale

    def forward(self, A, B):
        return torch.mm(A, B * self.scale)
