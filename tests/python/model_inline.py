# A KernelBench-form solution compiling a C++ extension with load_inline
# at import (CPU torch: C++ only; needs libtorch-dev, pybind11-dev and
# python3-dev).  tests/sh/python_host.sh checks its build is recorded and
# compiled once, in the build phase.
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp = r"""
#include <torch/extension.h>
torch::Tensor relu2(torch::Tensor x) {
    auto y = torch::empty_like(x);
    auto xa = x.contiguous();
    const float* s = xa.data_ptr<float>();
    float* d = y.data_ptr<float>();
    for (int64_t i = 0; i < x.numel(); i++) d[i] = s[i] > 0 ? s[i] : 0;
    return y;
}
"""
ext = load_inline(name="kaudit_cpu_relu", cpp_sources=cpp, functions=["relu2"], verbose=False)

class ModelNew(nn.Module):
    def forward(self, x):
        return ext.relu2(x)
