"""event_loop.py - a torch.cuda.Event benchmark loop for `kaudit observe`.

    python3 event_loop.py side     # dishonest: the events time the current
                                   # stream, the matmul runs on a side stream
    python3 event_loop.py joined   # honest: the side stream is joined back
                                   # before the stop event

It prints the time it measured, as a benchmark script would.
"""
import sys

import torch

mode = sys.argv[1] if len(sys.argv) > 1 else "joined"
a = torch.randn(4096, 4096, device="cuda")
b = torch.randn(4096, 4096, device="cuda")
side = torch.cuda.Stream()
times = []
for _ in range(20):
    start = torch.cuda.Event(enable_timing=True)
    stop = torch.cuda.Event(enable_timing=True)
    start.record()                      # the current stream
    with torch.cuda.stream(side):
        c = a @ b
    if mode == "joined":
        torch.cuda.current_stream().wait_stream(side)
    stop.record()
    torch.cuda.synchronize()
    times.append(start.elapsed_time(stop))
times.sort()
print("%s: median %.4f ms" % (mode, times[len(times) // 2]))
