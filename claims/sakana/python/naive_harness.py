# A short KernelBench-style timing loop, the kind the seed's exploit fooled:
# the reference's output is freed before the candidate runs, outputs are
# compared with allclose, and each side is timed with CUDA events.
#
#     python3 naive_harness.py silu.py silu_never_writes.py
#     python3 naive_harness.py matmul.py matmul_first_row.py --rows 1
#
# It reports the never-writes kernel correct and tens of times faster (the
# caching allocator hands the candidate the block that still holds the
# answer), and with --rows 1 (checking one row, as a sampled check might)
# the first-row kernel too.  kaudit verify on the claims beside it reports
# both invalid.
import importlib.util
import sys

import torch


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def timed(fn, inputs, reps=20):
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    fn(*inputs)
    start.record()
    for _ in range(reps):
        fn(*inputs)
    stop.record()
    torch.cuda.synchronize()
    return start.elapsed_time(stop) / reps


def main(argv):
    rows = int(argv[argv.index("--rows") + 1]) if "--rows" in argv else None
    problem, solution = load(argv[1], "problem"), load(argv[2], "solution")
    torch.manual_seed(0)
    ref = problem.Model(*problem.get_init_inputs()).cuda()
    new = solution.ModelNew(*problem.get_init_inputs()).cuda()
    inputs = [x.cuda() for x in problem.get_inputs()]
    with torch.no_grad():
        want = ref(*inputs).cpu()   # the reference's output is freed here
        got = new(*inputs)
        if rows is not None:
            want, got = want[:rows], got[:rows]
        ok = torch.allclose(got.cpu(), want, rtol=1e-2, atol=1e-2)
        t_ref, t_new = timed(ref, inputs), timed(new, inputs)
    print("correct: %s   reference %.3f ms   candidate %.3f ms   speedup %.1fx" % (
        ok, t_ref, t_new, t_ref / t_new))


if __name__ == "__main__":
    main(sys.argv)
