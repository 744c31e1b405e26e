"""Where the time of one DCGAN train step goes: ours, plain and PyTorch, fp32 and bf16.

    python scripts/profile_train_step.py [--steps 15] [--rounds 3] [--profile-steps 8]
        [--variants bn_keras,subpixel_all_single] [--no-torch]
    # docs/bench_train.md's 2026-12-02 numbers:
    nice -n 5 python scripts/profile_train_step.py --steps 10 --rounds 5

Builds exactly the candidates of `scripts/bench_train.py` (it imports that
script and calls its `dcgan_candidates` / `torch_dcgan_candidates`; the same
network, batch 128, same warm-up), then:

1. **Step time**: interleaved rounds of `--steps` compiled train steps per
   candidate (as bench_train does), median per step. Variants of ours (library
   changes tried without editing the library, by patching the builders while
   the variant is built and traced: see VARIANTS) run in the same rounds; each
   variant's speed ratio to ours is printed as a ratio of medians and as the
   median (and range) of the per-round ratios, the steadier of the two under
   background load. The first step of every round is also compared with the
   rest (a candidate slowed by the one that ran before it would show there).
2. **Per-op profile of the compiled Keras step**: `tf.profiler` over
   `--profile-steps` steps; the trace (`.xplane.pb`) is parsed with the
   protobuf TensorFlow ships. Every op event is put into a class (forward conv,
   data-gradient conv, weight-gradient conv, dense matmul, BatchNorm,
   activations, casts, optimizer, layout glue, other) by its op type and name
   scope; conv and matmul FLOPs (2 x MACs) come from the static shapes of the
   same op in a fresh trace of `train_step` (op events carry no shapes).
   Reported per step: ms per class, its share of the UNPROFILED step time,
   achieved GFLOP/s, the sum of op times (ops of the two inter-op threads can
   overlap, so it may exceed the step) and the time with at least one op
   running ("busy"); step - busy is executor/dispatch overhead and idle time.
3. **PyTorch**: `torch.profiler` (CPU, shapes recorded) over the same number of
   steps, self CPU time of every op into the same classes (PyTorch's
   `convolution_backward` computes data and weight gradients in one op, so its
   backward convs form one class; in the G step it also computes D's weight
   gradients, which that step does not need).
4. **Isolated convolutions**: every convolution of the network at its exact
   shapes (batch 128; the D layers also at 256, the batch plain's D step sees),
   fp32 and bf16, each in its own `tf.function`, median of repeated calls minus
   the call overhead of an empty function: GFLOP/s against the matmul peaks.

Everything is seeded; the profile's numbers are in one process, and as in
bench_train only ratios within one run mean anything. Takes about 7 minutes
with `--steps 10 --rounds 5` (about 10 with the defaults) on the idle 2-core
machine; PyTorch's rows (OpenMP) slow down far more than TensorFlow's under
any background load, so read them from a quiet run only.
"""

import argparse
import collections
import contextlib
import glob
import importlib.util
import os
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("bench_train", os.path.join(HERE, "bench_train.py"))
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)  # sets TF_CPP_MIN_LOG_LEVEL, imports TF/Keras

import numpy as np  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_gans  # noqa: E402
from keras_gans.models import DCGAN  # noqa: E402

CLASSES = ("conv fwd", "conv data-grad", "conv weight-grad", "dense matmul", "batchnorm",
           "activation", "cast", "optimizer", "layout glue", "other")
# Ops that only call other functions: their events contain the callee's ops.
CONTAINER_TYPES = {"StatefulPartitionedCall", "PartitionedCall", "If", "StatelessIf", "While",
                   "StatelessWhile", "_Retval", "_Arg", "NoOp"}


# ---------------------------------------------------------------- variants
def _bn_keras(name, fused=True):
    # Keras's stock BatchNormalization: the library's layer before it was fused.
    return keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, synchronized=True,
                                           name=name)


def _bn_unsync(name, fused=True):
    return keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, synchronized=False,
                                           name=name)


#: name -> (what it changes, [(module, attribute, replacement factory)], extra compile
#: kwargs). "a+b" combines variants.
VARIANTS = {
    # Applied to the library on 2026-12-02 (BatchNormalization, one padded
    # sub-pixel conv below 16 filters); these variants undo or extend them.
    "bn_keras": ("dcgan._batch_norm: Keras's BatchNormalization(synchronized=True), unfused",
                 [("keras_gans.models.dcgan", "_batch_norm", lambda: _bn_keras)], {}),
    "bn_unsync": ("dcgan._batch_norm: Keras's BatchNormalization(synchronized=False)",
                  [("keras_gans.models.dcgan", "_batch_norm", lambda: _bn_unsync)], {}),
    "subpixel_all_single": (
        "SubPixelConv2DTranspose: all phases in one padded conv for every layer",
        [("keras_gans.layers.resampling", "_SINGLE_CONV_BELOW_FILTERS", lambda: 10 ** 9)], {}),
    "no_guard": ("compile(skip_nonfinite=False): no is-finite check + tf.cond per update",
                 [], {"skip_nonfinite": False}),
    # A diagnostic, not a change: Grappler's remapper logs "remapper failed" on
    # ours fp32's graph (a Conv2D+BiasAdd+LeakyRelu fusion in the G step's D
    # forward); a failed pass is discarded, so ours fp32 ~ ours fp32 no_remap
    # says the failure costs nothing, and bf16 says what the fusions are worth.
    "no_remap": ("Grappler remapper off (while the step runs)", [], {}),
    "xla": ("compile(jit_compile=True)", [], {"jit_compile": True}),
}


def describe(name):
    return " + ".join(VARIANTS[part][0] for part in name.split("+"))


@contextlib.contextmanager
def patched(name):
    """Applies the patches of variant `name` ("a+b" for several) while the model is
    built and traced."""
    saved = []
    try:
        for part in name.split("+"):
            for module_name, attr, factory in VARIANTS[part][1]:
                module = importlib.import_module(module_name)
                saved.append((module, attr, getattr(module, attr)))
                setattr(module, attr, factory())
        yield
    finally:
        for module, attr, value in reversed(saved):
            setattr(module, attr, value)


def ours_variant(name, precision, ds, width):
    kwargs = {"loss": "non_saturating", "jit_compile": False}
    for part in name.split("+"):
        kwargs.update(VARIANTS[part][2])
    with bench.global_policy(bench.PRECISIONS[precision]), patched(name):
        keras.utils.set_random_seed(0)
        model = DCGAN(resolution=28, width=width, latent_dim=100, fast_upsampling=True)
        model.compile(**kwargs)
        candidate = bench.KerasCandidate(model, ds)  # traced (and warmed up) while patched
    if "no_remap" in name.split("+"):
        candidate = RemapOff(candidate)
    return candidate


class RemapOff:
    """A KerasCandidate run with Grappler's remapper off.

    A function is optimized for the config in force when it is called (and
    cached per config), so the option must be off around every call.
    """

    def __init__(self, candidate):
        self.candidate, self.model, self.dataset = candidate, candidate.model, candidate.dataset
        self.steps(3)

    def steps(self, n):
        from tensorflow.python.eager import context

        ctx = context.context()
        options = ctx._optimizer_experimental_options  # restored exactly: the other
        saved = dict(options)                           # candidates keep their config
        ctx.set_optimizer_experimental_options({"remapping": False})
        try:
            return self.candidate.steps(n)
        finally:
            options.clear()
            options.update(saved)
            ctx._thread_local_data.function_call_options = None


# ---------------------------------------------------------------- TF trace
def graph_flops(model, element_spec, batch):
    """{op name: FLOPs} of the convs and matmuls of `model.train_step`, traced afresh.

    The profiler's op events carry no shapes. Tracing `train_step` again in a new
    graph reproduces the node names of the graph Keras traced (the trace shows
    them under a `StatefulPartitionedCall/` prefix), and its static shapes give
    each op's FLOPs (2 x MACs). Grappler's fused ops are named after the last
    op they absorb (e.g. `.../BiasAdd`), so a name that is not a conv/matmul is
    followed up its first input.
    """
    spec = tf.nest.map_structure(
        lambda sp: tf.TensorSpec((batch,) + tuple(sp.shape[1:]), sp.dtype), element_spec)
    graph = tf.function(model.train_step).get_concrete_function(spec).graph

    def flops(op):
        t = op.type
        try:
            if t == "Conv2D":
                out, f = op.outputs[0].shape, op.inputs[1].shape
                return 2 * out[0] * out[1] * out[2] * f[0] * f[1] * f[2] * f[3]
            if t == "Conv2DBackpropInput":
                f, dy = op.inputs[1].shape, op.inputs[2].shape
                return 2 * dy[0] * dy[1] * dy[2] * f[0] * f[1] * f[2] * f[3]
            if t == "Conv2DBackpropFilter":
                f, dy = op.outputs[0].shape, op.inputs[2].shape
                return 2 * dy[0] * dy[1] * dy[2] * f[0] * f[1] * f[2] * f[3]
            if t in ("MatMul", "BatchMatMulV2"):
                a, out = op.inputs[0].shape, op.outputs[0].shape
                k = a[0] if op.get_attr("transpose_a") else a[1]
                return 2 * out[0] * out[1] * k
        except (TypeError, ValueError, IndexError):
            return None
        return None

    table = {}
    for op in graph.get_operations():
        probe, value = op, None
        for _ in range(3):
            value = flops(probe)
            if value is not None or not probe.inputs:
                break
            probe = probe.inputs[0].op
        if value is not None:
            table[op.name] = int(value)
    return table


def event_flops(table, name):
    key = name.split("StatefulPartitionedCall/", 1)[-1]
    return table.get(key)


def classify_tf(name, op_type):
    lname, t = name.lower(), op_type
    grad = "gradient_tape" in lname or "/grad" in lname
    # Forward ops live in a network's name scope; the custom gradient of
    # SubPixelConv2DTranspose emits its convs at the top level (no scope).
    in_network = "generator" in lname or "discriminator" in lname
    if "adam" in lname:
        return "optimizer"
    if "Conv2D" in t or "Conv2d" in t:
        if "BackpropFilter" in t:
            return "conv weight-grad"
        return "conv fwd" if in_network and not grad else "conv data-grad"
    if "MatMul" in t:
        return "dense matmul"
    if "_bn" in lname or "batch_norm" in lname or "moments" in lname:
        return "batchnorm"
    if t.lstrip("_").replace("Mkl", "") in ("Relu", "ReluGrad", "LeakyRelu", "LeakyReluGrad",
                                            "Tanh", "TanhGrad", "Sigmoid", "SigmoidGrad"):
        return "activation"
    if t in ("Cast", "_MklCast"):
        return "cast"
    if t.lstrip("_").replace("Mkl", "") in ("DepthToSpace", "SpaceToDepth", "ConcatV2",
                                            "GatherV2", "Transpose", "Pad", "PadV2", "Reshape",
                                            "Slice", "StridedSlice", "Split", "SplitV",
                                            "ZerosLike", "Fill", "Pack", "Unpack",
                                            "StridedSliceGrad", "_MklTranspose",
                                            "ConjugateTranspose", "Tile", "BroadcastTo",
                                            "BiasAdd", "BiasAddGrad"):
        return "layout glue"
    return "other"


def trace_keras(candidate, steps, logdir):
    """Per-op events of `steps` compiled steps: (events, wall seconds of the profiled steps)."""
    candidate.steps(2)
    options = tf.profiler.experimental.ProfilerOptions(host_tracer_level=3, python_tracer_level=0)
    tf.profiler.experimental.start(logdir, options=options)
    wall = candidate.steps(steps)
    tf.profiler.experimental.stop()
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    path = sorted(glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True),
                  key=os.path.getmtime)[-1]
    space = xplane_pb2.XSpace()
    with open(path, "rb") as f:
        space.ParseFromString(f.read())
    events = []  # (start_ps, end_ps, name, type)
    for plane in space.planes:
        if not plane.name.startswith("/host:CPU"):
            continue
        for line in plane.lines:
            base = line.timestamp_ns * 1000
            for e in line.events:
                md = plane.event_metadata[e.metadata_id]
                full = md.name
                head = full.split("#", 1)[0]
                if ":" not in head or "::" in head:
                    continue
                name, op_type = head.rsplit(":", 1)
                if not op_type or op_type in CONTAINER_TYPES or " " in op_type:
                    continue
                start = base + e.offset_ps
                events.append((start, start + e.duration_ps, name, op_type))
    shutil.rmtree(logdir, ignore_errors=True)
    return events, wall


def busy_ps(events):
    """Length of the union of the events' intervals (time with at least one op running)."""
    total, cur_s, cur_e = 0, None, None
    for s, e, *_ in sorted(events):
        if cur_e is None or s > cur_e:
            if cur_e is not None:
                total += cur_e - cur_s
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    if cur_e is not None:
        total += cur_e - cur_s
    return total


def summarize_tf(events, steps, flop_table):
    cls_ps = collections.Counter()
    cls_flops = collections.Counter()
    cls_count = collections.Counter()
    per_op = collections.defaultdict(lambda: [0, 0, 0, ""])  # ps, count, flops, class
    unmatched = 0
    for s, e, name, t in events:
        c = classify_tf(name, t)
        d = e - s
        flops = 0
        if c.startswith("conv") or c == "dense matmul":
            flops = event_flops(flop_table, name)
            if flops is None:
                unmatched += 1
                flops = 0
        cls_ps[c] += d
        cls_flops[c] += flops
        cls_count[c] += 1
        key = (t, name.split("StatefulPartitionedCall/", 1)[-1], c)
        rec = per_op[key]
        rec[0] += d
        rec[1] += 1
        rec[2] += flops
    return {
        "ms": {c: cls_ps[c] / 1e9 / steps for c in CLASSES},
        "gflops": {c: (cls_flops[c] / cls_ps[c] * 1e3 if cls_ps[c] else 0.0) for c in CLASSES},
        "count": {c: cls_count[c] / steps for c in CLASSES},
        "sum_ms": sum(cls_ps.values()) / 1e9 / steps,
        "busy_ms": busy_ps(events) / 1e9 / steps,
        "per_op": {k: (v[0] / 1e9 / steps, v[1] / steps, (v[2] / v[0] * 1e3 if v[0] else 0))
                   for k, v in per_op.items()},
        "conv_flops": sum(cls_flops[c] for c in CLASSES if c.startswith("conv")) / steps,
        "unmatched": unmatched / steps,
        "ops": len(events) / steps,
        "fused": sum(1 for *_, t in events if "Fused" in t and ("Conv" in t or "MatMul" in t))
        / steps,
    }


# ---------------------------------------------------------------- torch profile
def classify_torch(name, in_optimizer):
    n = name.lower()
    if in_optimizer or n.startswith("optimizer.") or "_foreach" in n:
        return "optimizer"
    if "convolution_backward" in n or "conv2d_backward" in n or "conv_transpose2d_backward" in n:
        return "conv data-grad"  # data + weight gradients together (see module doc)
    if "conv" in n:
        return "conv fwd"
    if n in ("aten::addmm", "aten::mm", "aten::bmm", "aten::matmul", "aten::linear"):
        return "dense matmul"
    if "batch_norm" in n:
        return "batchnorm"
    if any(k in n for k in ("relu", "tanh", "sigmoid", "threshold")):
        return "activation"
    if n in ("aten::_to_copy", "aten::to", "aten::copy_") or "cast" in n:
        return "cast"
    if any(k in n for k in ("view", "reshape", "permute", "transpose", "contiguous", "clone",
                            "empty", "as_strided", "unflatten", "flatten", "cat", "zero_",
                            "fill_", "zeros", "ones")):
        return "layout glue"
    return "other"


def torch_conv_flops_per_step(batch, width):
    """Analytic conv FLOPs of one PyTorch step (bench_train's torch step): (forward, backward).

    Per-example forward FLOPs of the convs: D0 (28->14, 1->w), D1 (14->7, w->2w),
    G0 (7->14, 2w->w), G1 (14->28, w->1). Forward: D three times, G once.
    Backward (each gradient costs one forward): D step, real and fake apart:
    D1 data+weight, D0 weight; G step: data+weight for every conv (PyTorch also
    computes D's weight gradients there, which the step never uses).
    """
    w = width
    d0, d1 = 2 * 14 * 14 * 25 * 1 * w, 2 * 7 * 7 * 25 * w * 2 * w
    g0, g1 = 2 * 7 * 7 * 25 * 2 * w * w, 2 * 14 * 14 * 25 * w * 1
    fwd = 3 * (d0 + d1) + g0 + g1
    bwd = 2 * (2 * d1 + d0) + 2 * (d1 + d0 + g0 + g1)
    return batch * fwd, batch * bwd


def profile_torch(candidate, steps, conv_flops_per_step):
    import torch
    from torch.profiler import ProfilerActivity, profile

    candidate.steps(2)
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        start = time.perf_counter()
        candidate.steps(steps)
        wall = time.perf_counter() - start
    del torch
    cls_us = collections.Counter()
    total_self = 0.0
    for e in prof.events():
        parent, in_opt = e.cpu_parent, False
        while parent is not None:
            if parent.name.startswith("Optimizer.step") or parent.name.startswith(
                    "Optimizer.zero_grad"):
                in_opt = True
                break
            parent = parent.cpu_parent
        if not e.name.startswith("aten::") and not in_opt:
            continue  # record_function wrappers and autograd nodes: their ops are counted
        c = classify_torch(e.name, in_opt)
        us = e.self_cpu_time_total
        cls_us[c] += us
        total_self += us
    cls_flops = {"conv fwd": conv_flops_per_step[0] * steps,
                 "conv data-grad": conv_flops_per_step[1] * steps}
    return {
        "ms": {c: cls_us[c] / 1e3 / steps for c in CLASSES},
        "gflops": {c: (cls_flops.get(c, 0) / cls_us[c] / 1e3 if cls_us[c] else 0.0)
                   for c in CLASSES},
        "sum_ms": total_self / 1e3 / steps,
        "wall_ms": wall * 1e3 / steps,
        "top": prof.key_averages(group_by_input_shape=True).table(
            sort_by="self_cpu_time_total", row_limit=14, max_name_column_width=38,
            max_shapes_column_width=60),
    }


# ---------------------------------------------------------------- isolated convs
def conv_micro(batch, width, repeats=7, calls=6):
    """GFLOP/s of each convolution of the network, isolated, fp32 and bf16.

    Returns rows (label, MFLOP, fp32 ms, fp32 GFLOP/s, bf16 ms, bf16 GFLOP/s).
    """
    from keras_gans.layers import resampling
    from keras_gans.layers.resampling import SubPixelConv2DTranspose

    rng = np.random.default_rng(0)
    s2 = [1, 2, 2, 1]

    def t(shape):
        return rng.standard_normal(shape).astype(np.float32)

    ops = []  # (label, flops, inputs, body)
    # D: 28x28x1 -> 14x14x64 -> 7x7x128, 5x5 stride 2.
    for name, (h, cin, cout) in {"D down0": (28, 1, width),
                                 "D down1": (14, width, 2 * width)}.items():
        for n in (batch, 2 * batch):
            x, w, dy = t((n, h, h, cin)), t((5, 5, cin, cout)), t((n, h // 2, h // 2, cout))
            flops = 2 * n * (h // 2) ** 2 * 25 * cin * cout

            def fwd(x, w):
                return tf.nn.conv2d(x, w, 2, "SAME")

            def dgrad(w, dy, shape=x.shape):
                return tf.raw_ops.Conv2DBackpropInput(input_sizes=shape, filter=w,
                                                      out_backprop=dy, strides=s2,
                                                      padding="SAME")

            def wgrad(x, dy, shape=w.shape):
                return tf.raw_ops.Conv2DBackpropFilter(input=x, filter_sizes=shape,
                                                       out_backprop=dy, strides=s2,
                                                       padding="SAME")

            ops += [(f"{name} fwd, batch {n}", flops, (x, w), fwd),
                    (f"{name} data-grad, batch {n}", flops, (w, dy), dgrad),
                    (f"{name} weight-grad, batch {n}", flops, (x, dy), wgrad)]
    # G: 7x7x128 -> 14x14x64 (up0) -> 28x28x1 (to_image), transposed 5x5 stride 2;
    # the backward ops are those SubPixelConv2DTranspose's custom gradient runs.
    for name, (h, cin, cout) in {"G up0": (7, 2 * width, width),
                                 "G to_image": (14, width, 1)}.items():
        x, k, dy = t((batch, h, h, cin)), t((5, 5, cout, cin)), t((batch, 2 * h, 2 * h, cout))
        flops = 2 * batch * h * h * 25 * cin * cout

        def native(x, k, shape=(batch, 2 * h, 2 * h, cout)):
            return tf.nn.conv2d_transpose(x, k, shape, 2, "SAME")

        def dgrad(dy, k):
            return tf.nn.conv2d(dy, k, 2, "SAME")

        def wgrad(dy, x, shape=k.shape):
            return tf.raw_ops.Conv2DBackpropFilter(input=dy, filter_sizes=shape,
                                                   out_backprop=x, strides=s2, padding="SAME")

        ops.append((f"{name} fwd, native Conv2DBackpropInput", flops, (x, k), native))
        if cout >= 16:
            layer = SubPixelConv2DTranspose(cout, 5, use_bias=False)
            layer.build(x.shape)
            ops.append((f"{name} fwd, sub-pixel (4 phase convs+d2s)", flops, (x, k),
                        layer._subpixel_conv_transpose))
        padded = SubPixelConv2DTranspose(cout, 5, use_bias=False)
        padded._conv_groups = resampling._conv_groups(padded.kernel_size, padded.strides,
                                                      single=True)
        padded.build(x.shape)
        ops.append((f"{name} fwd, padded sub-pixel (1 conv+d2s)", flops, (x, k),
                    padded._subpixel_conv_transpose))
        ops += [(f"{name} data-grad (Conv2D stride 2)", flops, (dy, k), dgrad),
                (f"{name} weight-grad", flops, (dy, x), wgrad)]

    def median_call(fn, args):
        fn(*args).numpy()
        fn(*args).numpy()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(calls):
                out = fn(*args)
            out.numpy()
            times.append((time.perf_counter() - start) / calls)
        return statistics.median(times)

    def reduced(body):
        # Fetch one element: the op must run, the copy back must not count.
        return tf.function(lambda *a: tf.reshape(body(*a), [-1])[:1], autograph=False)

    empty = tf.function(lambda x: tf.reshape(x, [-1])[:1] + 1, autograph=False)
    rows = []
    for label, flops, inputs, body in ops:
        row = [label, flops]
        fn = reduced(body)
        for dtype in (tf.float32, tf.bfloat16):
            args = [tf.cast(a, dtype) for a in inputs]
            overhead = median_call(empty, args[:1])
            sec = max(median_call(fn, args) - overhead, 1e-7)
            row += [sec * 1e3, flops / sec / 1e9]
        rows.append(row)
    return rows


# ---------------------------------------------------------------- main
def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=15, help="steps per candidate per round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--profile-steps", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--variants", default="bn_keras,subpixel_all_single",
                   help=f"comma-separated, each one of {sorted(VARIANTS)} or several "
                        "joined by '+' ('' for none)")
    p.add_argument("--no-torch", action="store_true")
    p.add_argument("--no-micro", action="store_true", help="skip the isolated conv table")
    args = p.parse_args()
    args.jit, args.torch_compile, args.family = False, False, "dcgan"
    args.steps = max(args.steps, 2)  # a round times its first step apart from the rest
    variants = [v for v in args.variants.split(",") if v]
    unknown = {part for v in variants for part in v.split("+")} - set(VARIANTS)
    if unknown:
        sys.exit(f"unknown variants {sorted(unknown)}; known: {sorted(VARIANTS)}")
    b = args.batch_size
    t0 = time.perf_counter()
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}; batch {b}, width {args.width}", flush=True)

    images, _ = keras_gans.data.arrays("fashion_mnist", "train")
    batches = images[: b * max(args.steps, 8)]
    args.no_torch_saved, args.no_torch = args.no_torch, True
    keras_rows, _, nominal, _ = bench.dcgan_candidates(args, batches)
    args.no_torch = args.no_torch_saved
    torch_rows = {} if args.no_torch else bench.torch_dcgan_candidates(args, batches, 100)
    # Channels-last was PyTorch's faster layout in bench_train's runs at both
    # precisions; the NCHW eager row is left out to keep the run short.
    torch_rows.pop("torch eager fp32", None)
    ds = keras_gans.data.from_arrays(batches, batch_size=b, shuffle=False, repeat=True)
    variant_rows = {}
    for v in variants:
        for precision in bench.PRECISIONS:
            variant_rows[f"ours+{v} {precision}"] = bench.try_build(
                f"ours+{v} {precision}",
                lambda v=v, pr=precision: ours_variant(v, pr, ds, args.width))
    candidates = {k: c for k, c in {**keras_rows, **torch_rows, **variant_rows}.items()
                  if c is not None}
    print(f"built in {time.perf_counter() - t0:.0f} s", flush=True)

    # 1. step times, interleaved rounds
    seconds = {name: [] for name in candidates}
    first = {name: [] for name in candidates}  # the first step after another candidate ran
    for r in range(args.rounds):
        for name, cand in candidates.items():
            one = cand.steps(1)
            rest = cand.steps(args.steps - 1)
            seconds[name].append((one + rest) / args.steps)
            first[name].append(one / (rest / (args.steps - 1)))
        print(f"round {r + 1}: " + ", ".join(f"{n} {1e3 * s[-1]:.0f}" for n, s in seconds.items())
              + " ms/step", flush=True)
    step_ms = {n: 1e3 * statistics.median(s) for n, s in seconds.items()}
    spread = {n: (max(s) - min(s)) / statistics.median(s) for n, s in seconds.items()}
    peaks = {"fp32": bench.matmul_peak(tf.float32), "bf16": bench.matmul_peak(tf.bfloat16)}
    print(f"\nstep time, median of {args.rounds} rounds of {args.steps} steps (batch {b}); "
          f"matmul peaks fp32 {peaks['fp32']:.0f}, bf16 {peaks['bf16']:.0f} GFLOP/s")
    for n, ms in step_ms.items():
        print(f"  {n:40} {ms:7.1f} ms/step {b / ms * 1e3:7.1f} img/s  "
              f"(rounds spread {100 * spread[n]:.0f}%; first step of a round "
              f"{statistics.median(first[n]):.2f}x the others)")
    def paired(base, other):
        """Median (min, max) over rounds of base/other step time in the same round:
        steadier under background load than a ratio of medians."""
        r = sorted(a / b for a, b in zip(seconds[base], seconds[other]))
        return statistics.median(r), r[0], r[-1]

    for v in variants:
        for precision in bench.PRECISIONS:
            base, var = f"ours {precision}", f"ours+{v} {precision}"
            if base in seconds and var in seconds:
                med, lo, hi = paired(base, var)
                print(f"variant {v} {precision}: speed ratio {step_ms[base] / step_ms[var]:.3f} "
                      f"vs ours (per-round median {med:.2f}, range {lo:.2f}-{hi:.2f}; "
                      f"{describe(v)})")
    for precision in bench.PRECISIONS:
        if f"ours {precision}" in seconds and f"plain {precision}" in seconds:
            med, lo, hi = paired(f"plain {precision}", f"ours {precision}")
            print(f"ours over plain {precision}, per-round median {med:.2f} "
                  f"(range {lo:.2f}-{hi:.2f})")
    for precision in bench.PRECISIONS:
        ours, plain = step_ms.get(f"ours {precision}"), step_ms.get(f"plain {precision}")
        tb = min((ms for n, ms in step_ms.items() if n.startswith("torch")
                  and n.endswith(precision)), default=None)
        vs_plain = plain / ours if ours and plain else float("nan")
        print(f"precision={precision} ratio_vs_plain={vs_plain:.2f} "
              f"ratio_vs_torch={tb / ours if ours and tb else float('nan'):.2f}")
    if nominal:
        print(f"nominal training FLOPs per image (bench_train's count): {nominal / 1e6:.1f} MFLOP")

    # 2. per-op profile of the Keras steps
    profiles = {}
    for name in ("ours fp32", "plain fp32", "ours bf16", "plain bf16"):
        if name in candidates:
            cand = candidates[name]
            table = graph_flops(cand.model, cand.dataset.element_spec, b)
            events, wall = trace_keras(cand, args.profile_steps,
                                       tempfile.mkdtemp(prefix="tfprof_"))
            profiles[name] = summarize_tf(events, args.profile_steps, table)
            profiles[name]["wall_ms"] = wall * 1e3 / args.profile_steps
    # 3. PyTorch
    for name in list(torch_rows):
        if name in candidates and ("channels-last" in name):
            profiles[name] = profile_torch(candidates[name], args.profile_steps,
                                           torch_conv_flops_per_step(b, args.width))

    print("\nms per step by op class (share of the unprofiled step; GFLOP/s where counted)")
    names = list(profiles)
    short = {n: n.replace("channels-last ", "cl ").replace("autocast ", "") for n in names}
    print(f"  {'class':18}" + "".join(f"{short[n]:>24}"
                                      for n in names))
    for c in CLASSES:
        cells = []
        for n in names:
            pr = profiles[n]
            ms = pr["ms"][c]
            g = pr["gflops"][c]
            cells.append(f"{ms:6.1f} {100 * ms / step_ms[n]:3.0f}%"
                         + (f" {g:5.0f}G" if g else "       "))
        print(f"  {c:18}" + "".join(f"{x:>24}" for x in cells))
    for label, key in (("sum of op times", "sum_ms"), ("busy (>=1 op)", "busy_ms"),
                       ("profiled step", "wall_ms")):
        cells = []
        for n in names:
            v = profiles[n].get(key)
            cells.append("" if v is None else f"{v:6.1f} {100 * v / step_ms[n]:3.0f}%       ")
        print(f"  {label:18}" + "".join(f"{x:>24}" for x in cells))
    print(f"  {'unprofiled step':18}" + "".join(f"{step_ms[n]:6.1f} 100%       ".rjust(24)
                                               for n in names))
    print("  (TF: step - busy = executor/dispatch overhead and idle; torch: step - sum of "
          "self times = Python/autograd overhead; torch 'conv data-grad' = data+weight grads)")

    for n in names:
        if "per_op" in profiles[n]:
            print(f"\n{n}: top ops (ms/step, calls/step, GFLOP/s)")
            top = sorted(profiles[n]["per_op"].items(), key=lambda kv: -kv[1][0])[:14]
            for (t, shp, c), (ms, cnt, g) in top:
                print(f"  {ms:6.2f} ms  x{cnt:4.1f}  {g:6.0f} GFLOP/s  {c:16} {t:32} {shp[:64]}")
            print(f"  conv GFLOP per step traced: {profiles[n]['conv_flops'] / 1e9:.2f} "
                  f"({profiles[n]['unmatched']:.0f} conv/matmul events per step without FLOPs); "
                  f"{profiles[n]['ops']:.0f} op events per step, "
                  f"{profiles[n]['fused']:.0f} of them fused conv/matmul (+bias/activation)")
        elif "top" in profiles[n]:
            print(f"\n{n}: torch.profiler top ops by self CPU time ({args.profile_steps} steps)")
            print(profiles[n]["top"])

    # 4. isolated convs
    if not args.no_micro:
        print(f"\nisolated convolutions (tf.function, median, call overhead subtracted); "
              f"peaks fp32 {peaks['fp32']:.0f}, bf16 {peaks['bf16']:.0f} GFLOP/s")
        print(f"  {'op':48} {'MFLOP':>7} {'fp32 ms':>8} {'GFLOP/s':>8} {'bf16 ms':>8} "
              f"{'GFLOP/s':>8}")
        for label, flops, f32ms, f32g, b16ms, b16g in conv_micro(b, args.width):
            print(f"  {label:48} {flops / 1e6:7.0f} {f32ms:8.2f} {f32g:8.0f} {b16ms:8.2f} "
                  f"{b16g:8.0f}")
    print(f"\ntotal {time.perf_counter() - t0:.0f} s, load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
