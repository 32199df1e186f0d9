# probe_torch_streams.py - FACTS.md Q11: do streams and events cross
# between kaudit's CUDA runtime (the bundle's libcudart, which the GPU
# plugin links) and torch's own, in one process, as the Python bridge
# assumes (torch.cuda.ExternalStream over kaudit's stream)?
#
#     python3 probe_torch_streams.py BUNDLE/libcudart.so.N
#
# Prints ANSWER lines and RESULT; exit 0 when both directions work, 1 when
# one does not, 77 without torch or a GPU.  Builds nothing.
import ctypes
import sys


def main():
    try:
        import torch
    except Exception as e:
        print("RESULT: no torch (%s)" % e)
        return 77
    if not torch.cuda.is_available():
        print("RESULT: torch sees no GPU")
        return 77
    rt = ctypes.CDLL(sys.argv[1])
    print("versions: torch %s (CUDA %s), kaudit's runtime %s" % (
        torch.__version__, torch.version.cuda, sys.argv[1]))
    ok = True
    torch.cuda.init()
    assert rt.cudaSetDevice(0) == 0
    s = ctypes.c_void_p()
    assert rt.cudaStreamCreateWithFlags(ctypes.byref(s), 1) == 0  # non-blocking
    es = torch.cuda.ExternalStream(s.value)
    n = 1 << 26
    with torch.cuda.stream(es):
        x = torch.ones(n, device="cuda")
        for _ in range(20):  # long enough that a missed wait shows
            x = x * 1.0 + 0.0
        y = x * 2
        tev = torch.cuda.Event()
        tev.record(es)
    # kaudit's event on its own stream must come after torch's work on it.
    kev = ctypes.c_void_p()
    assert rt.cudaEventCreate(ctypes.byref(kev)) == 0
    rc = rt.cudaEventRecord(kev, s)
    rc2 = rt.cudaEventSynchronize(kev)
    done = tev.query()
    print("ANSWER Q11 torch work on ExternalStream(kaudit's stream) is done when kaudit's "
          "event recorded after it completes: %s (record rc %d, sync rc %d)" % (
              "yes" if done and rc == 0 and rc2 == 0 else "NO", rc, rc2))
    ok = ok and done and rc == 0 and rc2 == 0
    es.synchronize()
    good = float(y.sum().item()) == 2.0 * n
    print("ANSWER Q11 the result computed on kaudit's stream is right: %s" % (
        "yes" if good else "NO"))
    ok = ok and good
    # torch's event handle, waited on by kaudit's runtime.
    handle = getattr(tev, "cuda_event", None)
    if handle is None:
        print("ANSWER Q11 torch.cuda.Event has no cuda_event handle in this torch")
    else:
        w = rt.cudaStreamWaitEvent(s, ctypes.c_void_p(handle), 0)
        print("ANSWER Q11 kaudit's cudaStreamWaitEvent on torch's event: rc %d (%s)" % (
            w, "crosses" if w == 0 else "DOES NOT cross"))
        ok = ok and w == 0
    # The current stream torch reports inside the block is kaudit's.
    with torch.cuda.stream(es):
        cur = torch.cuda.current_stream().cuda_stream
    print("ANSWER Q11 torch.cuda.current_stream() inside the block is kaudit's stream: %s" % (
        "yes" if cur == s.value else "NO (%#x vs %#x)" % (cur, s.value)))
    ok = ok and cur == s.value
    print("RESULT: %s" % ("streams and events cross" if ok else "FAILED: see the answers"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
