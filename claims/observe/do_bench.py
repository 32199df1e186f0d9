"""do_bench.py - triton.testing.do_bench of an honest kernel (a matmul on
the current stream), for `kaudit observe`: every window do_bench builds
should cover the work it launched."""
import torch
import triton.testing

a = torch.randn(4096, 4096, device="cuda", dtype=torch.float16)
b = torch.randn(4096, 4096, device="cuda", dtype=torch.float16)
ms = triton.testing.do_bench(lambda: a @ b, warmup=5, rep=20)
print("do_bench: %.4f ms" % ms)
