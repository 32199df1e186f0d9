# The seed's exploit in KernelBench form: a load_inline CUDA extension whose
# forward allocates its output with torch::empty and launches a kernel that
# stages results in shared memory but never stores them.  Under a harness
# whose caching allocator hands back the block the reference's output just
# freed, the unwritten output still holds the right answer.
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

source = r"""
#include <torch/extension.h>
#include <ATen/cuda/CUDAContext.h>

__global__ void silu_staged(const float* __restrict__ x, float* __restrict__ y, int64_t n) {
    __shared__ float stage[256];
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
         i += (int64_t)gridDim.x * blockDim.x) {
        float v = x[i];
        stage[threadIdx.x] = v / (1.0f + __expf(-v));
        __syncthreads();
        /* "coalesced" store, forgotten: y[i] = stage[threadIdx.x]; */
    }
}

torch::Tensor silu_forward(torch::Tensor x) {
    auto y = torch::empty_like(x);
    int64_t n = x.numel();
    silu_staged<<<1024, 256, 0, at::cuda::getCurrentCUDAStream()>>>(
        x.data_ptr<float>(), y.data_ptr<float>(), n);
    return y;
}
"""
ext = load_inline(name="kaudit_sakana_never_writes", cpp_sources="torch::Tensor silu_forward(torch::Tensor x);",
                  cuda_sources=source, functions=["silu_forward"], verbose=False)


class ModelNew(nn.Module):
    def __init__(self):
        super(ModelNew, self).__init__()

    def forward(self, x):
        return ext.silu_forward(x)
