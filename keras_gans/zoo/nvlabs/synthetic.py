"""Writes NVIDIA-format network pickles from plain data, opcode by opcode (for tests).

The reader must handle variants of the released files that the reference
fixtures do not contain (protocol 2 and 3, numpy-2 global names, float16
storages, channels-last strides, an `AugmentPipe`, source with a byte-order
mark, other kwargs) and must refuse hostile ones. This module emits such
pickles directly as opcodes, so no torch, TensorFlow or NVIDIA code is needed
to make them, and every global a file references is spelled out here.

The building blocks are a tiny expression tree: `Global(module, name)`,
`Reduce(callable, args)`, `NewObj(cls, args)`, `Build(obj, state)`,
`PersistentId(pid)` and `Raw(opcodes)`, mixed with plain Python values. On
top of them: `torch_tensor`, `persistent_module`, `numpy_array`,
`tf_network`, and `snapshot_to_pickle`, which writes any `read_snapshot`
result back (optionally as float16 / channels-last / another protocol).

Example:

>>> import numpy as np
>>> from keras_gans.zoo.nvlabs.synthetic import Global, Reduce, dumps
>>> data = dumps(Reduce(Global("collections", "OrderedDict"), ()), protocol=2)
>>> data[:2], data[-1:]
(b'\\x80\\x02', b'.')
"""

import dataclasses
import io
import struct

import numpy as np

__all__ = [
    "Build",
    "EasyDict",
    "Global",
    "NewObj",
    "PersistentId",
    "Raw",
    "Reduce",
    "Shared",
    "dumps",
    "easy_dict",
    "legacy_storage_blob",
    "numpy_array",
    "numpy_scalar",
    "persistent_module",
    "snapshot_to_pickle",
    "tf_network",
    "torch_tensor",
]


@dataclasses.dataclass(frozen=True)
class Global:
    """A global reference (GLOBAL for protocols 2-3, STACK_GLOBAL for 4+)."""

    module: str
    name: str


@dataclasses.dataclass(frozen=True)
class Reduce:
    """`callable(*args)` (REDUCE)."""

    callable: object
    args: tuple


@dataclasses.dataclass(frozen=True)
class NewObj:
    """`cls.__new__(cls, *args)` (NEWOBJ)."""

    cls: object
    args: tuple = ()


@dataclasses.dataclass(frozen=True)
class Build:
    """`obj.__setstate__(state)` (BUILD)."""

    obj: object
    state: object


@dataclasses.dataclass(frozen=True)
class PersistentId:
    """A persistent id (BINPERSID), as torch.save writes storages."""

    pid: object


@dataclasses.dataclass(frozen=True)
class EasyDict:
    """A `dnnlib.util.EasyDict` holding `items` (NEWOBJ, then SETITEMS)."""

    items: dict


class Shared:
    """One object referenced from several places (written once, then fetched from the memo)."""

    def __init__(self, value):
        self.value = value


@dataclasses.dataclass(frozen=True)
class Raw:
    """Opcodes inserted verbatim: the body of another pickle (protocol 2 or 3, no PROTO/STOP)."""

    opcodes: bytes

    @classmethod
    def of(cls, data):
        """The body of a complete protocol-2/3 pickle `data` (its PROTO and STOP stripped)."""
        if data[:1] != b"\x80" or data[1] not in (2, 3) or data[-1:] != b".":
            raise ValueError(
                "Raw.of takes a complete protocol-2 or -3 pickle (memo indices stay local)"
            )
        return cls(data[2:-1])


class _Writer:
    def __init__(self, protocol):
        if protocol not in (2, 3, 4):
            raise ValueError(f"protocol {protocol!r} is not 2, 3 or 4 (what NVIDIA's files use)")
        self.protocol = protocol
        self.out = io.BytesIO()
        self.memo = {}  # id(Shared) -> memo index; high indices stay clear of Raw fragments' own

    def write(self, value):
        w, p = self.out.write, self.protocol
        if isinstance(value, Shared):
            if id(value) in self.memo:
                w(b"j" + struct.pack("<I", self.memo[id(value)]))  # LONG_BINGET
            else:
                self.write(value.value)
                index = self.memo[id(value)] = 1_000_000 + len(self.memo)
                w(b"r" + struct.pack("<I", index))  # LONG_BINPUT
        elif isinstance(value, Raw):
            w(value.opcodes)
        elif isinstance(value, EasyDict):
            self.write(NewObj(Global("dnnlib.util", "EasyDict"), ()))
            if value.items:
                w(b"(")
                for k, v in value.items.items():
                    self.write(k)
                    self.write(v)
                w(b"u")
        elif isinstance(value, Global):
            if p >= 4:
                self.write(value.module)
                self.write(value.name)
                w(b"\x93")
            else:
                w(b"c" + value.module.encode() + b"\n" + value.name.encode() + b"\n")
        elif isinstance(value, Reduce):
            self.write(value.callable)
            self.write(tuple(value.args))
            w(b"R")
        elif isinstance(value, NewObj):
            self.write(value.cls)
            self.write(tuple(value.args))
            w(b"\x81")
        elif isinstance(value, Build):
            self.write(value.obj)
            self.write(value.state)
            w(b"b")
        elif isinstance(value, PersistentId):
            self.write(value.pid)
            w(b"Q")
        elif value is None:
            w(b"N")
        elif value is True:
            w(b"\x88")
        elif value is False:
            w(b"\x89")
        elif isinstance(value, int):
            if 0 <= value < 256:
                w(b"K" + bytes([value]))
            elif -(2**31) <= value < 2**31:
                w(b"J" + struct.pack("<i", value))
            else:
                raw = value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True)
                w(b"\x8a" + bytes([len(raw)]) + raw)
        elif isinstance(value, float):
            w(b"G" + struct.pack(">d", value))
        elif isinstance(value, str):
            raw = value.encode("utf-8", "surrogatepass")
            if p >= 4 and len(raw) < 256:
                w(b"\x8c" + bytes([len(raw)]) + raw)
            else:
                w(b"X" + struct.pack("<I", len(raw)) + raw)
        elif isinstance(value, (bytes, bytearray, memoryview)):
            raw = bytes(value)
            if p >= 3:
                w(
                    (
                        b"C" + bytes([len(raw)])
                        if len(raw) < 256
                        else b"B" + struct.pack("<I", len(raw))
                    )
                    + raw
                )
            else:  # what Python 3 writes for bytes at protocol 2
                self.write(Reduce(Global("_codecs", "encode"), (raw.decode("latin-1"), "latin1")))
        elif isinstance(value, tuple):
            if not value:
                w(b")")
            else:
                w(b"(")
                for item in value:
                    self.write(item)
                w(b"t")
        elif isinstance(value, list):
            w(b"]")
            if value:
                w(b"(")
                for item in value:
                    self.write(item)
                w(b"e")
        elif isinstance(value, dict):
            w(b"}")
            if value:
                w(b"(")
                for k, v in value.items():
                    self.write(k)
                    self.write(v)
                w(b"u")
        elif isinstance(value, (set, frozenset)):
            if p >= 4:
                w(b"\x8f")
                if value:
                    w(b"(")
                    for item in value:
                        self.write(item)
                    w(b"\x90")
            else:  # protocols 2-3 reduce a set to builtins.set(list)
                self.write(Reduce(Global("builtins", "set"), (list(value),)))
        else:
            raise TypeError(
                "synthetic pickles hold plain values and the node types, not "
                f"{type(value).__name__}"
            )


def dumps(value, protocol=4):
    """Pickle bytes of `value` (plain values and node types) at `protocol` 2, 3 or 4."""
    writer = _Writer(protocol)
    writer.out.write(b"\x80" + bytes([protocol]))
    writer.write(value)
    writer.out.write(b".")
    return writer.out.getvalue()


# --------------------------------------------------------------------------
# numpy objects, spelled as numpy 1 (`numpy.core`) or numpy 2 (`numpy._core`).


def _dtype_node(dtype):
    dtype = np.dtype(dtype)
    order = "|" if dtype.itemsize == 1 else "<"
    return Build(
        Reduce(Global("numpy", "dtype"), (dtype.newbyteorder("=").str[1:], False, True)),
        (3, order, None, None, None, -1, -1, 0),
    )


def numpy_array(array, numpy_core="numpy.core"):
    """An ndarray as numpy pickles it (`<numpy_core>.multiarray._reconstruct` + BUILD)."""
    array = np.ascontiguousarray(array)
    array = array.astype(array.dtype.newbyteorder("<"), copy=False)
    return Build(
        Reduce(
            Global(f"{numpy_core}.multiarray", "_reconstruct"),
            (Global("numpy", "ndarray"), (0,), b"b"),
        ),
        (1, tuple(array.shape), _dtype_node(array.dtype), False, array.tobytes()),
    )


def numpy_scalar(value, numpy_core="numpy.core"):
    """A numpy scalar as numpy pickles it (`<numpy_core>.multiarray.scalar(dtype, bytes)`)."""
    value = np.asarray(value)
    return Reduce(
        Global(f"{numpy_core}.multiarray", "scalar"),
        (_dtype_node(value.dtype), value.astype(value.dtype.newbyteorder("<")).tobytes()),
    )


# --------------------------------------------------------------------------
# PyTorch: legacy storage blobs, tensors, persistent modules.

_STORAGE_CLASSES = {
    np.dtype("float32"): "FloatStorage",
    np.dtype("float16"): "HalfStorage",
    np.dtype("float64"): "DoubleStorage",
    np.dtype("int64"): "LongStorage",
    np.dtype("int32"): "IntStorage",
    np.dtype("uint8"): "ByteStorage",
    np.dtype("bool"): "BoolStorage",
}


def legacy_storage_blob(flat, storage_class=None, claimed_numel=None, extra_global=None):
    """The legacy `torch.save` stream of one storage, as `torch.storage._load_from_bytes` reads it.

    Args:
        flat: 1-d array of the storage's elements.
        storage_class: e.g. `"HalfStorage"`; default from `flat.dtype`.
        claimed_numel: element count written in the headers (default: the
            true one); larger values make a broken blob for tests.
        extra_global: a `Global` to place inside the blob's pickle (hostile test).
    """
    flat = np.ascontiguousarray(flat).reshape(-1)
    storage_class = storage_class or _STORAGE_CLASSES[flat.dtype]
    numel = flat.size if claimed_numel is None else claimed_numel
    header = (
        dumps(0x1950A86A20F9469CFC6C, 2)
        + dumps(1001, 2)
        + dumps(
            {
                "protocol_version": 1001,
                "little_endian": True,
                "type_sizes": {"short": 2, "int": 4, "long": 4},
            },
            2,
        )
    )
    pid = ("storage", Global("torch", storage_class), "0", "cpu", numel, None)
    body = PersistentId(pid) if extra_global is None else Reduce(extra_global, (PersistentId(pid),))
    return (
        header
        + dumps(body, 2)
        + dumps(["0"], 2)
        + struct.pack("<q", numel)
        + flat.astype(flat.dtype.newbyteorder("<"), copy=False).tobytes()
    )


def torch_tensor(
    array, dtype=None, channels_last=False, storage_offset=0, parameter=True, claimed_size=None
):
    """`torch._utils._rebuild_tensor_v2` of a storage blob holding `array`.

    Args:
        array: the tensor's values.
        dtype: storage dtype (e.g. `np.float16`); default `array.dtype`.
        channels_last: store a 4-d tensor in NHWC memory order with matching
            strides (what `memory_format=torch.channels_last` writes).
        storage_offset: elements of padding before the tensor in its storage.
        parameter: wrap in `torch._utils._rebuild_parameter` (an `nn.Parameter`).
        claimed_size: size tuple to write instead of `array.shape` (broken files).
    """
    array = np.asarray(array)
    dtype = np.dtype(dtype or array.dtype)
    array = array.astype(dtype)
    size = tuple(array.shape)
    if channels_last:
        if array.ndim != 4:
            raise ValueError("channels_last needs a 4-d tensor")
        o, i, h, w = size
        memory = array.transpose(0, 2, 3, 1)
        stride = (h * w * i, 1, w * i, i)
    else:
        memory = array
        stride = tuple(int(np.prod(size[k + 1 :], dtype=np.int64)) for k in range(len(size)))
    flat = np.concatenate(
        [np.zeros(storage_offset, dtype), np.ascontiguousarray(memory).reshape(-1)]
    )
    storage = Reduce(Global("torch.storage", "_load_from_bytes"), (legacy_storage_blob(flat),))
    tensor = Reduce(
        Global("torch._utils", "_rebuild_tensor_v2"),
        (
            storage,
            storage_offset,
            tuple(claimed_size or size),
            stride,
            False,
            Reduce(Global("collections", "OrderedDict"), ()),
        ),
    )
    if parameter:
        tensor = Reduce(
            Global("torch._utils", "_rebuild_parameter"),
            (tensor, True, Reduce(Global("collections", "OrderedDict"), ())),
        )
    return tensor


def easy_dict(mapping):
    """A `dnnlib.util.EasyDict` (NEWOBJ of the dict subclass, then its items)."""
    return EasyDict(dict(mapping))


def persistent_module(
    class_name,
    init_kwargs=None,
    parameters=None,
    buffers=None,
    modules=None,
    module_src="",
    attributes=None,
    non_persistent=(),
    init_args=(),
    version=6,
):
    """A `torch_utils.persistence` object as the persistence decorator pickles it.

    `parameters` / `buffers` map names to `torch_tensor(...)` nodes (or None),
    `modules` to nested `persistent_module(...)` nodes; `init_kwargs` may hold
    `easy_dict(...)` values.
    """
    state = {
        "training": False,
        "_parameters": dict(parameters or {}),
        "_buffers": dict(buffers or {}),
        "_non_persistent_buffers_set": set(non_persistent),
        "_modules": dict(modules or {}),
    }
    state.update(attributes or {})
    state["_init_args"] = tuple(init_args)
    state["_init_kwargs"] = dict(init_kwargs or {})
    meta = {
        "type": "class",
        "version": version,
        "module_src": module_src,
        "class_name": class_name,
        "state": state,
    }
    return Reduce(Global("torch_utils.persistence", "_reconstruct_persistent_obj"), (meta,))


def tf_network(
    name,
    build_func_name,
    static_kwargs,
    variables,
    components=None,
    version=4,
    build_module_src="",
    numpy_core="numpy.core",
):
    """A `dnnlib.tflib.network.Network` as its `__getstate__` pickles it.

    `variables` is a list of `(name, np.ndarray or numpy scalar)`; arrays are
    written with `numpy_array` unless already a node.
    """

    def node(value):
        if isinstance(value, (Build, Reduce, Raw)):
            return value
        if isinstance(value, np.generic):
            return numpy_scalar(value, numpy_core)
        return numpy_array(np.asarray(value), numpy_core)

    state = {
        "version": version,
        "name": name,
        "static_kwargs": dict(static_kwargs),
        "components": dict(components or {}),
        "build_module_src": build_module_src,
        "build_func_name": build_func_name,
        "variables": [(var_name, node(value)) for var_name, value in variables],
    }
    return Build(NewObj(Global("dnnlib.tflib.network", "Network"), ()), state)


# --------------------------------------------------------------------------
# Whole snapshots, e.g. a read fixture written back with different details.


def _record_to_torch(record, dtype, channels_last, bom):
    parameters, buffers = {}, {}
    own = {k: v for k, v in record.tensors.items() if "." not in k}
    buffer_names = set(record.buffer_names)
    for key, value in own.items():
        cast = np.dtype(dtype) if dtype is not None and value.dtype.kind == "f" else None
        node = torch_tensor(
            value,
            dtype=cast,
            channels_last=channels_last and value.ndim == 4,
            parameter=key not in buffer_names,
        )
        (buffers if key in buffer_names else parameters)[key] = node
    modules = {
        k: _record_to_torch(child, dtype, channels_last, bom) for k, child in record.modules.items()
    }
    src = record.source or ""
    return persistent_module(
        record.class_name,
        init_kwargs={k: _to_easy(v) for k, v in record.kwargs.items()},
        parameters=parameters,
        buffers=buffers,
        modules=modules,
        module_src=("\ufeff" + src) if bom else src,
        attributes={k: v for k, v in record.attributes.items() if not k.startswith("_")},
        init_args=record.args,
    )


def _to_easy(value):
    if isinstance(value, dict):
        return easy_dict({k: _to_easy(v) for k, v in value.items()})
    return value


def _record_to_tf(record, numpy_core, bom, version):
    src = record.source or ""
    return tf_network(
        record.name,
        record.class_name,
        record.kwargs,
        list(record.tensors.items()),
        components={
            k: _record_to_tf(c, numpy_core, bom, version) for k, c in record.components.items()
        },
        version=record.version if version is None else version,
        build_module_src=("\ufeff" + src) if bom else src,
        numpy_core=numpy_core,
    )


def snapshot_to_pickle(
    snapshot,
    protocol=4,
    numpy_core="numpy.core",
    dtype=None,
    channels_last=False,
    bom=False,
    augment_pipe=None,
    tf_version=None,
    kwarg_order=None,
):
    """Writes a `read_snapshot` result back as an NVIDIA-format pickle (bytes).

    Args:
        snapshot: dict from `read_snapshot` (records may be edited first).
        protocol: 2, 3 (Python 3.7 files: GLOBAL opcodes, `builtins.set`) or 4.
        numpy_core: `"numpy.core"` (numpy 1) or `"numpy._core"` (numpy 2) globals.
        dtype: PyTorch storages' float dtype (e.g. `np.float16`); default as read.
        channels_last: write 4-d PyTorch tensors with channels-last strides.
        bom: prefix embedded source text with a UTF-8 byte-order mark.
        augment_pipe: a `persistent_module(...)` node for `augment_pipe`.
        tf_version: TF Network state version to write (default as read).
        kwarg_order: optional function reordering each kwargs dict's items.

    Example:

    >>> from keras_gans.zoo.nvlabs.reader import read_snapshot  # doctest: +SKIP
    >>> snap = read_snapshot("sg2ada_A.pkl")  # doctest: +SKIP
    >>> data = snapshot_to_pickle(snap, protocol=3, dtype=np.float16)  # doctest: +SKIP
    """
    if kwarg_order is not None:
        snapshot = _reorder(snapshot, kwarg_order)
    if snapshot["format"] == "pytorch":
        obj = {"training_set_kwargs": snapshot.get("training_set_kwargs")}
        for key in ("G", "D", "G_ema"):
            obj[key] = _record_to_torch(snapshot[key], dtype, channels_last, bom)
        obj["augment_pipe"] = augment_pipe
        if snapshot.get("augment_pipe") is not None and augment_pipe is None:
            obj["augment_pipe"] = _record_to_torch(
                snapshot["augment_pipe"], dtype, channels_last, bom
            )
        return dumps(obj, protocol)
    if snapshot["format"] == "tf":
        return dumps(
            tuple(
                _record_to_tf(snapshot[k], numpy_core, bom, tf_version) for k in ("G", "D", "Gs")
            ),
            protocol,
        )
    raise ValueError(f"snapshot format {snapshot.get('format')!r} is not 'pytorch' or 'tf'")


def _reorder(snapshot, order):
    def visit(record):
        return dataclasses.replace(
            record,
            kwargs=dict(order(list(record.kwargs.items()))),
            components={k: visit(c) for k, c in record.components.items()},
            modules={k: visit(c) for k, c in record.modules.items()},
        )

    return {k: (visit(v) if hasattr(v, "kwargs") else v) for k, v in snapshot.items()}


# --------------------------------------------------------------------------
# Hostile and broken files: what the reader must refuse (tests, docs/nvlabs.md).


class _Payload:
    """Pickles as `posix.system(command)`, the classic hostile `__reduce__`."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        import os

        return (os.system, (self.command,))


class _Chain:
    """Pickles as `collections.OrderedDict([("k", <payload>)])`: allowed call, hostile argument."""

    def __init__(self, inner):
        self.inner = inner

    def __reduce__(self):
        import collections

        return (collections.OrderedDict, ([("k", self.inner)],))


def _tiny_tf_snapshot(variable):
    nets = tuple(
        tf_network(n, f, {"resolution": 4}, [("w", np.zeros(2, np.float32))])
        for n, f in (("G", "G_main"), ("D", "D_stylegan2"))
    )
    gs = tf_network("Gs", "G_main", {"resolution": 4}, [("w", variable)])
    return dumps(nets + (gs,), 2)


def _torch_snapshot(generator):
    return {
        "training_set_kwargs": None,
        "G": generator,
        "D": persistent_module("Discriminator"),
        "G_ema": persistent_module("Generator"),
        "augment_pipe": None,
    }


def _raw_tensor(size, stride, stored):
    """A tensor claiming `size` and `stride` over a storage of `stored` zeros (broken files)."""
    storage = Reduce(
        Global("torch.storage", "_load_from_bytes"),
        (legacy_storage_blob(np.zeros(stored, np.float32)),),
    )
    return Reduce(
        Global("torch._utils", "_rebuild_tensor_v2"),
        (
            storage,
            0,
            tuple(size),
            tuple(stride),
            False,
            Reduce(Global("collections", "OrderedDict"), ()),
        ),
    )


def _module_dag(depth):
    node = Shared(persistent_module("Leaf"))
    for _ in range(depth):
        node = Shared(persistent_module("Node", modules={"a": node, "b": node}))
    return node


def _list_dag(depth):
    node = []
    for _ in range(depth):
        node = [node, node]
    return node


def hostile_pickles(sentinel, valid_torch_snapshot=None):
    """`{case: pickle bytes}`: hostile or broken files, each trying to create `sentinel`.

    Args:
        sentinel: path a payload would create if anything ran it.
        valid_torch_snapshot: optional bytes of a valid PyTorch snapshot
            (e.g. a fixture), used for the truncated-file case.
    """
    sentinel = str(sentinel)
    touch = f"open({sentinel!r}, 'w').close()"
    cases = {
        "GLOBAL os system": dumps(Reduce(Global("os", "system"), (f"touch {sentinel}",)), 2),
        "posix.system via __reduce__": __import__("pickle").dumps(
            _Payload(f"touch {sentinel}"), protocol=4
        ),
        "builtins.eval": dumps(Reduce(Global("builtins", "eval"), (touch,)), 4),
        "builtins.exec": dumps(Reduce(Global("builtins", "exec"), (touch,)), 3),
        "builtins.getattr": dumps(
            Reduce(
                Reduce(
                    Global("builtins", "getattr"),
                    (Reduce(Global("builtins", "__import__"), ("os",)), "system"),
                ),
                (f"touch {sentinel}",),
            ),
            4,
        ),
        "subprocess.Popen": dumps(Reduce(Global("subprocess", "Popen"), (["touch", sentinel],)), 4),
        "__reduce__ chain": __import__("pickle").dumps(
            _Chain(_Payload(f"touch {sentinel}")), protocol=2
        ),
        "payload in a network's kwargs": dumps(
            {
                "training_set_kwargs": {},
                "G": persistent_module(
                    "Generator", {"z_dim": Reduce(Global("builtins", "exec"), (touch,))}
                ),
                "D": persistent_module("Discriminator"),
                "G_ema": persistent_module("Generator"),
                "augment_pipe": None,
            },
            4,
        ),
        "object-dtype array": _tiny_tf_snapshot(
            Raw.of(
                __import__("pickle").dumps(
                    np.array([_Payload(f"touch {sentinel}")], dtype=object), protocol=2
                )
            )
        ),
        "storage blob with a disallowed global": dumps(
            Reduce(
                Global("torch.storage", "_load_from_bytes"),
                (
                    legacy_storage_blob(
                        np.zeros(4, np.float32), extra_global=Global("os", "system")
                    ),
                ),
            ),
            4,
        ),
        "storage claims more data than it holds": dumps(
            Reduce(
                Global("torch.storage", "_load_from_bytes"),
                (legacy_storage_blob(np.zeros(4, np.float32), claimed_numel=1 << 40),),
            ),
            4,
        ),
        "tensor larger than its storage": dumps(
            torch_tensor(np.zeros((2, 2), np.float32), claimed_size=(64, 64)), 4
        ),
        "sub-module shared 40 levels deep (exponential walk)": dumps(
            _torch_snapshot(_module_dag(40)), 4
        ),
        "kwargs list shared 60 levels deep (exponential walk)": dumps(
            _torch_snapshot(
                persistent_module(
                    "Generator",
                    {"z_dim": Raw.of(__import__("pickle").dumps(_list_dag(60), protocol=2))},
                )
            ),
            4,
        ),
        "broadcast tensor (stride 0, 10^12 elements)": dumps(
            _torch_snapshot(
                persistent_module(
                    "Generator", parameters={"w": _raw_tensor((10**6, 10**6), (0, 0), 1)}
                )
            ),
            4,
        ),
        "tensor strides past its storage": dumps(_raw_tensor((2, 2), (10, 1), 4), 4),
        "not a network (a list)": dumps([1, 2, 3], 4),
        "not a network (a dict)": dumps({"weights": [0.5]}, 4),
    }
    if valid_torch_snapshot is not None:
        cases["truncated file"] = bytes(valid_torch_snapshot[: len(valid_torch_snapshot) // 2])
    return cases
