# kaudit_bridge.py - the bridge between kaudit's audit protocol and torch.
#
# Run by kaudit as a worker, never by hand:
#
#     PYTHON -I kaudit_bridge.py LIBKAUDIT_PYWORKER.so --case | --check-entry | --inputs
#
# The process is already confined (no_new_privs, seccomp, Landlock: applied
# by kaudit between fork and exec) and holds no key.  This script loads
# kaudit's worker code with ctypes and hands it two hooks; from then on the
# worker is kaudit's own C (src/run/pyworker.c): it reads the plan, opens
# the GPU plugin, allocates the guarded buffers and runs the protocol.  It
# calls back here once per side to prepare the implementation, then calls
# the returned launcher exactly where it would call a KAUDIT_ENTRY launcher.
#
# The launcher wraps kaudit's buffers as tensors over that memory without
# copies (torch.frombuffer on the host double, __cuda_array_interface__ on
# the GPU), calls the module on kaudit's stream with every allocation it
# makes filled with the trial's poison, and copies what it returns into the
# output buffers after checking it: a returned tensor that aliases an input,
# another output or one it returned before, or has the wrong shape, dtype
# or device, fails the call with a message saying so.  An exception fails
# the call with the end of its traceback.  kaudit-claim(5), PYTHON
# IMPLEMENTATIONS, is the user's description.
import ctypes
import hashlib
import importlib.machinery
import importlib.util
import os
import sys
import time
import traceback
import weakref

LAUNCHER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
PREPARE = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p,
                           ctypes.c_char_p, ctypes.c_uint64, ctypes.c_char_p, ctypes.c_int,
                           ctypes.c_void_p, ctypes.c_size_t)
CHECK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p,
                         ctypes.c_size_t)
DESCRIBE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t)
INPUTS = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_char_p, ctypes.c_uint64, ctypes.c_int,
                          ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int),
                          ctypes.POINTER(ctypes.c_int),
                          ctypes.POINTER(ctypes.POINTER(ctypes.c_int64)),
                          ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p, ctypes.c_size_t)

EXIT_BAD_INPUT = 2
EXIT_ENVIRONMENT = 3


class Hooks(ctypes.Structure):
    _fields_ = [("prepare", PREPARE), ("check", CHECK), ("describe", DESCRIBE),
                ("inputs", INPUTS)]


class Buffer(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("data", ctypes.c_void_p), ("dtype", ctypes.c_int),
                ("ndim", ctypes.c_int), ("shape", ctypes.POINTER(ctypes.c_int64))]


class Launch(ctypes.Structure):
    _fields_ = [("abi_version", ctypes.c_int), ("nbuffers", ctypes.c_int),
                ("buffers", ctypes.POINTER(Buffer)), ("nparams", ctypes.c_int),
                ("param_names", ctypes.POINTER(ctypes.c_char_p)),
                ("param_values", ctypes.POINTER(ctypes.c_int64)), ("stream", ctypes.c_void_p)]


# enum kaudit_dtype (include/kaudit/launcher.h) -> torch dtype name, bytes.
DTYPES = ["float16", "bfloat16", "float32", "float64", "int8", "uint8", "int16", "int32",
          "int64", None]
MANIFEST_DTYPES = ["f16", "bf16", "f32", "f64", "i8", "u8", "i16", "i32", "i64", "u32"]
UNSIGNED_OF_SIZE = {1: "|u1", 2: "<u2", 4: "<u4", 8: "<u8"}


class OutputError(Exception):
    """What an implementation returned cannot be its output."""


def put(buf, cap, text):
    """Copies TEXT into the C buffer BUF of CAP bytes (the end kept)."""
    if not buf or not cap:
        return
    data = text.encode("utf-8", "replace")[-(cap - 1):]
    ctypes.memmove(buf, data + b"\0", len(data) + 1)


def one_line(e):
    """The exception E on one line: what was raised, and where in the
    claim's code (the traceback's last frame)."""
    what = "".join(traceback.format_exception_only(type(e), e)).strip().replace("\n", " ")
    tb = traceback.extract_tb(e.__traceback__)
    if tb:
        f = tb[-1]
        what += " (%s:%d, in %s)" % (os.path.basename(f.filename), f.lineno, f.name)
    return what


class SourceOnlyLoader(importlib.machinery.SourceFileLoader):
    """Runs a .py file from its text, never from bytecode: Python's own
    loader would run __pycache__/NAME.cpython-XY.pyc whenever its recorded
    size and time match the source's, so a planted .pyc would run in place
    of the text the trace holds.  Nothing is written either."""

    def get_code(self, fullname):
        return compile(self.get_data(self.path), self.path, "exec", dont_inherit=True)


CLAIM_DIRS = []


def claim_path_hook(path):
    """sys.path_hooks entry for the claim's directories (and packages in
    them): .py files from their text only; no .pyc (sourceless or cached)
    and no compiled extension module from the claim's tree, whose code is
    not in the trace.  Other directories get Python's own finders."""
    real = os.path.realpath(path)
    for d in CLAIM_DIRS:
        if real == d or real.startswith(d + os.sep):
            return importlib.machinery.FileFinder(
                path, (SourceOnlyLoader, importlib.machinery.SOURCE_SUFFIXES))
    raise ImportError("not a claim directory")


def import_file(path, name):
    """Imports the file at PATH as module NAME, from its text, its
    directory first on sys.path (so the claim's own helper modules import,
    as KernelBench's eval allows, also from their text)."""
    d = os.path.dirname(path)
    real = os.path.realpath(d)
    if real not in CLAIM_DIRS:
        CLAIM_DIRS.append(real)
        if claim_path_hook not in sys.path_hooks:
            sys.path_hooks.insert(0, claim_path_hook)
        sys.path_importer_cache.pop(d, None)
    if d not in sys.path:
        sys.path.insert(0, d)
    spec = importlib.util.spec_from_file_location(name, path,
                                                  loader=SourceOnlyLoader(name, path))
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


class Inline:
    """Every load_inline call made while importing: its name and sources,
    so the build record holds each inline CUDA/C++ string and its sha256."""

    def __init__(self):
        self.calls = []

    def install(self):
        try:
            import torch.utils.cpp_extension as ext
        except Exception:
            return
        real = ext.load_inline
        seen = self.calls

        def load_inline(name, cpp_sources, cuda_sources=None, *args, **kwargs):
            for kind, src in (("cpp", cpp_sources), ("cuda", cuda_sources)):
                if src is None:
                    continue
                for text in ([src] if isinstance(src, str) else list(src)):
                    seen.append((name, kind, text))
            return real(name, cpp_sources, cuda_sources, *args, **kwargs)

        ext.load_inline = load_inline


def versions():
    out = ["python %s (%s)" % (sys.version.split()[0], sys.executable)]
    try:
        import torch
        out.append("torch %s" % torch.__version__)
        out.append("cuda %s" % (torch.version.cuda or "none"))
    except Exception as e:
        out.append("torch missing (%s)" % e)
    try:
        import triton
        out.append("triton %s" % triton.__version__)
    except Exception:
        out.append("triton none")
    return ", ".join(out)


def describe(obj):
    import torch
    if isinstance(obj, type) and issubclass(obj, torch.nn.Module):
        return "an nn.Module subclass"
    if callable(obj):
        return "a function"
    return None


def check(file, entry, err, cap):
    """--check-entry: import FILE, resolve ENTRY; say what with."""
    try:
        file, entry = file.decode(), entry.decode()
        try:
            import torch  # noqa: F401
        except Exception as e:
            put(err, cap, "the Python interpreter %s has no torch (%s): name one that has "
                "with --python or $KAUDIT_PYTHON" % (sys.executable, e))
            return EXIT_ENVIRONMENT
        inline = Inline()
        inline.install()
        t0 = time.monotonic()
        try:
            mod = import_file(file, "kaudit_check")
        except BaseException as e:
            sys.stderr.write(traceback.format_exc())
            put(err, cap, "importing %s failed: %s" % (file, one_line(e)))
            return EXIT_BAD_INPUT
        took = time.monotonic() - t0
        obj = getattr(mod, entry, None)
        what = describe(obj) if obj is not None else None
        if what is None:
            names = [n for n in dir(mod) if not n.startswith("_") and describe(getattr(mod, n))]
            put(err, cap, "%s has no module class or function '%s'%s" % (
                file, entry, " (it has: %s)" % ", ".join(names[:12]) if names else ""))
            return EXIT_BAD_INPUT
        lines = ["imported %s in %.2f s with %s" % (os.path.basename(file), took, versions()),
                 "entry %s: %s" % (entry, what)]
        # The claim's own modules the import pulled in (helpers beside the
        # file): in the build record with their text, like inline sources.
        main = os.path.realpath(file)
        for mname, m in sorted(sys.modules.items()):
            f = getattr(m, "__file__", None)
            if not f or os.path.realpath(f) == main:
                continue
            real = os.path.realpath(f)
            if not any(real.startswith(d + os.sep) for d in CLAIM_DIRS):
                continue
            try:
                data = open(real, "rb").read()
            except OSError:
                continue
            lines.append("claim module %s from %s (sha256 %s, %d bytes):" % (
                mname, os.path.basename(real), hashlib.sha256(data).hexdigest(), len(data)))
            lines.append(data.decode("utf-8", "replace"))
        for name, kind, text in inline.calls:
            sha = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
            lines.append("load_inline %s %s source (sha256 %s, %d bytes):" % (
                name, kind, sha, len(text)))
            lines.append(text)
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()
        return 0
    except BaseException:
        put(err, cap, traceback.format_exc())
        return EXIT_BAD_INPUT


TORCH_TO_MANIFEST = {"float16": "f16", "bfloat16": "bf16", "float32": "f32", "float64": "f64",
                     "int8": "i8", "uint8": "u8", "int16": "i16", "int32": "i32",
                     "int64": "i64"}


def describe_tensor(t, what):
    import torch
    if not isinstance(t, torch.Tensor):
        raise OutputError("%s is a %s, not a tensor (kaudit passes and takes tensors only)" % (
            what, type(t).__name__))
    dt = TORCH_TO_MANIFEST.get(str(t.dtype).replace("torch.", ""))
    if dt is None:
        raise OutputError("%s has dtype %s, which a manifest cannot name" % (what, t.dtype))
    d = {"shape": list(t.shape), "dtype": dt}
    if t.numel() > 0:
        v = t.detach().double()
        d["min"] = float(v.min())
        d["max"] = float(v.max())
    return d


def describe_problem(file, err, cap):
    """kaudit import kernelbench: run FILE's Model once on get_inputs()."""
    try:
        import inspect
        import json
        import torch
        file = file.decode()
        mod = import_file(file, "kaudit_problem")
        for need in ("Model", "get_inputs"):
            if not hasattr(mod, need):
                put(err, cap, "%s has no %s (not a KernelBench problem file)" % (file, need))
                return EXIT_BAD_INPUT
        torch.manual_seed(0)
        init = list(mod.get_init_inputs()) if hasattr(mod, "get_init_inputs") else []
        model = mod.Model(*init)
        model.eval()
        inputs = list(mod.get_inputs())
        with torch.no_grad():
            out = model(*inputs)
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        try:
            names = list(inspect.signature(model.forward).parameters)
        except (TypeError, ValueError):
            names = []
        consts = {k: v for k, v in vars(mod).items()
                  if not k.startswith("_") and type(v) is int and -2**62 < v < 2**62}
        doc = {"inputs": [describe_tensor(t, "input %d" % i) for i, t in enumerate(inputs)],
               "outputs": [describe_tensor(t, "output %d" % i) for i, t in enumerate(outs)],
               "args": names, "constants": consts, "versions": versions()}
        sys.stdout.write(json.dumps(doc) + "\n")
        sys.stdout.flush()
        return 0
    except OutputError as e:
        put(err, cap, "%s: %s" % (file, e))
        return EXIT_BAD_INPUT
    except BaseException as e:
        put(err, cap, "running %s failed: %s" % (file, one_line(e)))
        return EXIT_BAD_INPUT


PROBLEM = {}


def inputs(file, seed, n, items, dtypes, ndims, shapes, dst, err, cap):
    """--inputs: get_inputs() of the problem FILE under SEED; item
    ITEMS[i] checked against DTYPES[i] and SHAPES[i], its bytes to DST[i].
    This interpreter imports the problem file and nothing else of the
    claim (src/run/pyinputs.c says why)."""
    try:
        # Every generator a problem might draw from, imported before the
        # claim's directory goes first on sys.path (a random.py there must
        # not stand in for the one seeded here).
        import random
        import torch
        try:
            import numpy
        except Exception:
            numpy = None
        file = file.decode()
        mod = PROBLEM.get(file)
        if mod is None:
            try:
                mod = import_file(file, "kaudit_problem")
            except BaseException as e:
                sys.stderr.write(traceback.format_exc())
                put(err, cap, "importing it failed: %s" % one_line(e))
                return EXIT_BAD_INPUT
            if not callable(getattr(mod, "get_inputs", None)):
                put(err, cap, "the file has no get_inputs() (the manifest's init get_inputs "
                    "needs one)")
                return EXIT_BAD_INPUT
            PROBLEM[file] = mod
        # Seeded alike for every input set.
        random.seed(seed)
        if numpy is not None:
            numpy.random.seed(seed & 0xFFFFFFFF)
        torch.manual_seed(seed)
        try:
            got = mod.get_inputs()
            got = list(got)
        except BaseException as e:
            sys.stderr.write(traceback.format_exc())
            put(err, cap, "it raised: %s" % one_line(e))
            return EXIT_BAD_INPUT
        for i in range(n):
            item = items[i]
            what = "item %d" % item
            if item >= len(got):
                put(err, cap, "it returned %d value%s; the manifest's in buffers need "
                    "item %d" % (len(got), "" if len(got) == 1 else "s", item))
                return EXIT_BAD_INPUT
            t = got[item]
            if not isinstance(t, torch.Tensor):
                name = type(t).__name__
                put(err, cap, "%s is %s %s, not a tensor (kaudit's buffers hold tensors "
                    "only)" % (what, "an" if name[:1] in "aeiouAEIOU" else "a", name))
                return EXIT_BAD_INPUT
            want = MANIFEST_DTYPES[dtypes[i]] if 0 <= dtypes[i] < 10 else "?"
            have = TORCH_TO_MANIFEST.get(str(t.dtype).replace("torch.", ""))
            if have != want:
                put(err, cap, "%s has dtype %s, the manifest says %s" % (
                    what, str(t.dtype).replace("torch.", ""), want))
                return EXIT_BAD_INPUT
            shape = [shapes[i][d] for d in range(ndims[i])]
            if list(t.shape) != shape:
                put(err, cap, "%s has shape %s, the manifest's is %s" % (
                    what, list(t.shape), shape))
                return EXIT_BAD_INPUT
            # A plain dense tensor of exactly the buffer's bytes: a subclass
            # may lie about its shape, and a lazy negation or conjugation is
            # a bit on a view that its storage does not hold.
            c = t.detach().to("cpu").as_subclass(torch.Tensor)
            if hasattr(c, "resolve_neg"):
                c = c.resolve_neg().resolve_conj()
            c = c.contiguous()
            want = 1
            for x in shape:
                want *= x
            lo, hi = span(c)
            if list(c.shape) != shape or c.numel() != want or c.data_ptr() < lo or \
                    hi - c.data_ptr() < want * c.element_size():
                put(err, cap, "%s does not hold the %d elements its shape says" % (what, want))
                return EXIT_BAD_INPUT
            if want:
                ctypes.memmove(dst[i], c.data_ptr(), want * c.element_size())
        return 0
    except BaseException as e:
        put(err, cap, "get_inputs() failed: %s" % one_line(e))
        return EXIT_BAD_INPUT


class Side:
    """One prepared implementation and its launcher."""

    def __init__(self, lib, fn, roles, host, name):
        import torch
        self.torch = torch
        self.lib = lib
        self.fn = fn
        self.roles = roles
        self.host = host
        self.name = name
        self.returned = []  # weak references to what earlier calls returned
        self.launcher = LAUNCHER(self.call)
        self.poison = Poison(lib, host)

    def tensor(self, b):
        torch = self.torch
        shape = tuple(b.shape[i] for i in range(b.ndim))
        dt = DTYPES[b.dtype] if 0 <= b.dtype < len(DTYPES) else None
        if dt is None:
            raise OutputError("buffer %s: dtype %s has no torch equivalent" % (
                b.name.decode(), MANIFEST_DTYPES[b.dtype] if 0 <= b.dtype < 10 else b.dtype))
        dtype = getattr(torch, dt)
        numel = 1
        for s in shape:
            numel *= s
        size = torch.empty((), dtype=dtype).element_size()
        if self.host:
            raw = (ctypes.c_ubyte * (numel * size)).from_address(b.data)
            return torch.frombuffer(raw, dtype=dtype).view(shape)
        # A CUDA device pointer: any interface reader takes unsigned ints
        # of the element's width; the view gives the dtype (bf16 has no
        # typestr of its own).
        cai = type("KauditCAI", (), {})()
        cai.__cuda_array_interface__ = {"shape": (numel,), "typestr": UNSIGNED_OF_SIZE[size],
                                        "data": (b.data, False), "version": 2}
        return torch.as_tensor(cai, device="cuda").view(dtype).view(shape)

    def call(self, lp):
        try:
            l = ctypes.cast(lp, ctypes.POINTER(Launch)).contents
            bufs = [l.buffers[i] for i in range(l.nbuffers)]
            views = [self.tensor(b) for b in bufs]
            ins = [(v, b) for v, b, r in zip(views, bufs, self.roles) if r == "i"]
            outs = [(v, b) for v, b, r in zip(views, bufs, self.roles) if r != "i"]
            if self.host:
                self.run(ins, outs)
            else:
                # torch's current stream on this thread is kaudit's: the
                # module's work and the copy into the outputs are ordered
                # on it, as a launcher's must be.
                with self.torch.cuda.stream(self.torch.cuda.ExternalStream(l.stream)):
                    self.run(ins, outs)
            return 0
        except OutputError as e:
            self.lib.kaudit_py_fail(b"output", str(e).encode("utf-8", "replace"))
            return 1
        except BaseException:
            self.lib.kaudit_py_fail(b"python", ("%s raised: %s" % (
                self.name, traceback.format_exc())).encode("utf-8", "replace"))
            return 1

    def run(self, ins, outs):
        self.poison.arm(self.lib.kaudit_py_pattern())
        try:
            with self.torch.no_grad():
                ret = self.fn(*[v for v, _ in ins])
        finally:
            self.poison.disarm()
        self.store(ret, ins, outs)

    def store(self, ret, ins, outs):
        torch = self.torch
        got = list(ret) if isinstance(ret, (tuple, list)) else [ret]
        if len(got) != len(outs):
            raise OutputError("%s returned %d value%s, the manifest has %d output buffer%s" % (
                self.name, len(got), "" if len(got) == 1 else "s", len(outs),
                "" if len(outs) == 1 else "s"))
        spans = [(span(v), "input %s" % b.name.decode()) for v, b in ins]
        spans += [(span(v), "output buffer %s" % b.name.decode()) for v, b in outs]
        mine = []
        for i, (t, (view, b)) in enumerate(zip(got, outs)):
            bname = b.name.decode()
            what = "%s output %d (%s)" % (self.name, i, bname)
            if not isinstance(t, torch.Tensor):
                raise OutputError("%s is a %s, not a tensor" % (what, type(t).__name__))
            if t.device != view.device:
                raise OutputError("%s is on %s, the buffer is on %s" % (what, t.device,
                                                                         view.device))
            if t.dtype != view.dtype:
                raise OutputError("%s has dtype %s, the manifest says %s" % (
                    what, str(t.dtype).replace("torch.", ""), MANIFEST_DTYPES[b.dtype]))
            if tuple(t.shape) != tuple(view.shape):
                raise OutputError("%s has shape %s, the manifest's is %s" % (
                    what, list(t.shape), list(view.shape)))
            s = span(t)
            for other, name in spans + mine:
                if overlaps(s, other):
                    raise OutputError("%s aliases %s (it must be a tensor of its own)" % (
                        what, name))
            for ref in self.returned:
                old = ref()
                if old is not None and overlaps(s, span(old)):
                    raise OutputError("%s is a tensor it returned on an earlier call and "
                                      "still holds (a cached output)" % what)
            mine.append((s, "%s output %d" % (self.name, i)))
        for t, (view, _) in zip(got, outs):
            view.copy_(t)
        self.returned = [weakref.ref(t) for t in got]


def span(t):
    """The bytes of T's storage, [start, end)."""
    try:
        st = t.untyped_storage()
        return (st.data_ptr(), st.data_ptr() + st.nbytes())
    except AttributeError:  # torch < 2.0
        st = t.storage()
        return (st.data_ptr(), st.data_ptr() + st.nbytes())


def overlaps(a, b):
    return a[0] < b[1] and b[0] < a[1] and a[0] != a[1]


class Poison:
    """Fills every allocation made during a call with the call's pattern:
    libkaudit-poison.so (preloaded by kaudit) on the host double, kaudit's
    CUDAPluggableAllocator (installed before the first CUDA allocation)
    on the GPU."""

    def __init__(self, lib, host):
        self.fns = None
        if host:
            me = ctypes.CDLL(None)
            if hasattr(me, "kaudit_poison_arm"):
                me.kaudit_poison_arm.argtypes = [ctypes.c_uint32]
                self.fns = (me.kaudit_poison_arm, me.kaudit_poison_disarm)
        else:
            self.fns = GPU_POISON.fns

    def arm(self, pattern):
        if self.fns:
            self.fns[0](pattern)

    def disarm(self):
        if self.fns:
            self.fns[1]()


class GpuPoison:
    """torch.cuda.memory.CUDAPluggableAllocator over the GPU plugin's
    kaudit_torch_alloc/free (src/gpu/torch_alloc.cu); torch < 2.1 has no
    pluggable allocator: then nothing is poisoned and the build log says
    so."""

    def __init__(self):
        self.fns = None
        self.note = ""

    def install(self):
        import torch
        plugin = os.environ.get("KAUDIT_GPU_LIB") or os.path.join(
            os.path.dirname(os.path.abspath(sys.argv[1])), "libkaudit-gpu.so")
        mem = getattr(torch.cuda, "memory", None)
        if not hasattr(mem, "CUDAPluggableAllocator"):
            self.note = "torch %s has no CUDAPluggableAllocator" % torch.__version__
            return
        alloc = mem.CUDAPluggableAllocator(plugin, "kaudit_torch_alloc", "kaudit_torch_free")
        mem.change_current_allocator(alloc)
        so = ctypes.CDLL(plugin)
        so.kaudit_torch_poison_arm.argtypes = [ctypes.c_uint32]
        self.fns = (so.kaudit_torch_poison_arm, so.kaudit_torch_poison_disarm)


GPU_POISON = GpuPoison()
SIDES = {}


def prepare(side, file, entry, init, seed, roles, host, err, cap):
    """Imports FILE, builds ENTRY, returns its launcher's address."""
    try:
        import torch
        file, entry = file.decode(), entry.decode()
        init = init.decode() if init else None
        roles = roles.decode()
        if not host and GPU_POISON.fns is None and not GPU_POISON.note:
            GPU_POISON.install()
        mod = import_file(file, "kaudit_side%d" % side)
        obj = getattr(mod, entry, None)
        if obj is None or describe(obj) is None:
            put(err, cap, "%s has no module class or function '%s'" % (file, entry))
            return None
        name = "%s %s" % ("candidate" if side else "baseline", entry)
        fn = obj
        if describe(obj) == "an nn.Module subclass":
            src = import_file(init, "kaudit_init%d" % side) if init else mod
            args = list(src.get_init_inputs()) if hasattr(src, "get_init_inputs") else []
            # Both sides are built under the case's seed, as KernelBench's
            # eval does: a Model and a ModelNew with the same layers get the
            # same weights.
            torch.manual_seed(seed & 0xFFFFFFFFFFFFFFFF)
            fn = obj(*args)
            fn.eval()
            if not host:
                fn = fn.cuda()
        s = Side(LIB, fn, roles, bool(host), name)
        SIDES[side] = s
        return ctypes.cast(s.launcher, ctypes.c_void_p).value
    except BaseException:
        put(err, cap, "preparing %s failed: %s" % (entry, traceback.format_exc()))
        return None


LIB = None


def main(argv):
    global LIB
    if len(argv) != 3:
        sys.stderr.write("kaudit: kaudit_bridge.py is run by kaudit (usage: "
                         "kaudit_bridge.py LIB MODE)\n")
        return EXIT_BAD_INPUT
    # A sanitized kaudit preloads the ASan runtime into this interpreter
    # only: the compilers load_inline starts must not inherit it.
    pre = os.environ.get("LD_PRELOAD", "")
    if "libasan" in pre:
        os.environ["LD_PRELOAD"] = ":".join(p for p in pre.split(":") if "libasan" not in p)
    LIB = ctypes.CDLL(argv[1])
    LIB.kaudit_py_serve.argtypes = [ctypes.c_char_p, ctypes.POINTER(Hooks)]
    LIB.kaudit_py_serve.restype = ctypes.c_int
    LIB.kaudit_py_fail.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    LIB.kaudit_py_pattern.restype = ctypes.c_uint32
    hooks = Hooks(PREPARE(prepare), CHECK(check), DESCRIBE(describe_problem), INPUTS(inputs))
    return LIB.kaudit_py_serve(argv[2].encode(), ctypes.byref(hooks))


if __name__ == "__main__":
    rc = main(sys.argv)
    sys.stdout.flush()
    sys.stderr.flush()
    # No interpreter teardown: CUDA, CUPTI and torch's threads may still
    # run, and the answer is already out.
    os._exit(rc)
