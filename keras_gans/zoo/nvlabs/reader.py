"""Reads NVIDIA's StyleGAN network pickles without executing anything in them.

NVIDIA's own loaders `exec` the network source code stored inside each pickle
(and a pickle can call any importable function), so a hostile file runs
anything. This reader never does: a restricted `pickle.Unpickler` resolves
only the handful of globals that official files reference, each to a plain
numpy-only reconstructor defined here, and refuses every other global with
`UnsafePickleError` before it could be called. Embedded source text is kept
as text and hashed, never compiled.

Two file families are understood:

- PyTorch snapshots (stylegan2-ada-pytorch, stylegan3): a dict
  `{G, D, G_ema, augment_pipe, training_set_kwargs}` whose networks are
  `torch_utils.persistence` objects and whose tensors live in legacy
  `torch.save` streams, one `bytes` blob per storage.
- TF snapshots (StyleGAN state version 3, StyleGAN2 4, StyleGAN2-ADA TF 5):
  a `(G, D, Gs)` tuple of `dnnlib.tflib.network.Network` states.

Both become `NetworkRecord`s holding class name, constructor kwargs and
numpy tensors; the converters in `keras_gans.zoo.nvlabs` build Keras models
from those.

Example:

>>> from keras_gans.zoo.nvlabs.reader import read_snapshot  # doctest: +SKIP
>>> snap = read_snapshot("network-snapshot-000000.pkl")  # doctest: +SKIP
>>> snap["format"], snap["G_ema"].kwargs["z_dim"]  # doctest: +SKIP
('pytorch', 512)
>>> snap["G_ema"].tensors["mapping.w_avg"].shape  # doctest: +SKIP
(512,)
"""

import collections
import dataclasses
import functools
import hashlib
import io
import math
import os
import pickle
import struct

import numpy as np

__all__ = [
    "ALLOWED_GLOBALS",
    "NVLabsFormatError",
    "NetworkRecord",
    "UnsafePickleError",
    "read_snapshot",
]


class NVLabsFormatError(ValueError):
    """A file that is not a readable NVIDIA StyleGAN snapshot (truncated, corrupt, no network)."""


class UnsafePickleError(NVLabsFormatError):
    """A pickle that references a global outside the reader's allow-list (it would run code)."""


@dataclasses.dataclass
class NetworkRecord:
    """One pickled network, as plain data.

    Attributes:
        name: PyTorch: the snapshot key (`"G_ema"`, `"D"`, ...; a sub-module's
            attribute name for entries of `modules`). TF: the Network's own
            name (`"Gs"`, `"G_mapping"`, ...).
        class_name: PyTorch: the class name the persistence metadata records
            (`"Generator"`, `"Discriminator"`, `"AugmentPipe"`; the file does
            not record the module). TF: `build_func_name` (`"G_style"`,
            `"G_main"`, `"D_basic"`, `"D_stylegan2"`, ...).
        kwargs: PyTorch: the constructor's keyword arguments (nested
            `EasyDict`s become dicts). TF: `static_kwargs`.
        tensors: name -> `np.ndarray`. PyTorch: `state_dict()` names
            (parameters and persistent buffers, flattened with dots, in
            `state_dict` order). TF: the Network's own variables in creation
            order (0-d arrays for scalar variables such as `lod`).
        components: TF: sub-networks (`{"mapping": ..., "synthesis": ...}`).
            PyTorch: always `{}` (see `modules`).
        version: TF Network state version (3, 4, 5); `None` for PyTorch.
        source_sha256: sha256 (hex) of the embedded module source, UTF-8
            encoded after stripping a byte-order mark; `None` if absent.
        args: PyTorch: positional constructor arguments (usually `()`).
        attributes: PyTorch: the module's other plain attributes
            (`"img_resolution"`, `"use_fp16"`, ...); numpy scalars become
            Python numbers.
        modules: PyTorch: direct sub-modules by attribute name, each a
            `NetworkRecord` with tensor names relative to it.
        buffer_names: PyTorch: the names in `tensors` that are buffers
            (`w_avg`, `noise_const`, `resample_filter`, ...), not parameters.
        source: the embedded module source text (never executed).
        persistence_version: PyTorch persistence metadata version.
    """

    name: str
    class_name: str
    kwargs: dict
    tensors: dict
    components: dict = dataclasses.field(default_factory=dict)
    version: int | None = None
    source_sha256: str | None = None
    args: tuple = ()
    attributes: dict = dataclasses.field(default_factory=dict)
    modules: dict = dataclasses.field(default_factory=dict)
    buffer_names: tuple = ()
    source: str | None = dataclasses.field(default=None, repr=False)
    persistence_version: int | None = None

    def __repr__(self):
        return (
            f"NetworkRecord(name={self.name!r}, class_name={self.class_name!r}, "
            f"{len(self.tensors)} tensors, components={list(self.components)}, "
            f"version={self.version})"
        )


# --------------------------------------------------------------------------
# Stubs the restricted unpickler hands out instead of real classes.


class _PickledDtype:
    """`numpy.dtype(name, align, copy)` plus its `__setstate__`, validated.

    Only plain numeric and bool dtypes are accepted: object dtypes would make
    numpy unpickle arbitrary Python objects, structured dtypes are never in
    network files.
    """

    _KINDS = "biufc"

    def __init__(self, name, align=False, copy=False):
        if not isinstance(name, str):
            raise NVLabsFormatError(
                f"numpy.dtype called with {type(name).__name__} {name!r}; "
                "expected a dtype string such as 'f4'"
            )
        try:
            dtype = np.dtype(name)
        except TypeError as e:
            raise NVLabsFormatError(f"numpy.dtype({name!r}) is not a valid dtype: {e}") from None
        if dtype.kind not in self._KINDS or dtype.fields is not None or dtype.subdtype is not None:
            raise UnsafePickleError(
                f"refusing numpy dtype {name!r} (kind {dtype.kind!r}): only bool, integer, float "
                "and complex arrays are read; object and structured dtypes could hold Python "
                "objects"
            )
        self.dtype = dtype

    def __setstate__(self, state):
        # numpy's dtype state:
        # (version, byteorder, subdescr, names, fields, elsize, alignment, flags).
        if not isinstance(state, tuple) or len(state) < 5:
            raise NVLabsFormatError(f"numpy dtype state {state!r} is not numpy's dtype state tuple")
        byteorder, subdescr, names, fields = state[1:5]
        if subdescr is not None or names is not None or fields is not None:
            raise UnsafePickleError(
                f"refusing a structured numpy dtype (names {names!r}); "
                "network files hold plain numeric arrays only"
            )
        if byteorder == ">":
            self.dtype = self.dtype.newbyteorder(">")
        elif byteorder not in ("<", "|", "="):
            raise NVLabsFormatError(f"numpy dtype byte order {byteorder!r} is not one of < > | =")


def _as_dtype(value):
    if isinstance(value, _PickledDtype):
        return value.dtype
    raise NVLabsFormatError(f"expected a pickled numpy.dtype, got {type(value).__name__}")


def _numpy_scalar(dtype, data=None):
    """`numpy.core.multiarray.scalar(dtype, bytes)` -> a numpy scalar."""
    dtype = _as_dtype(dtype)
    if isinstance(data, str):  # protocol 2 written by Python 2 stores the bytes as latin-1 text
        data = data.encode("latin-1")
    if not isinstance(data, (bytes, bytearray)) or len(data) != dtype.itemsize:
        raise NVLabsFormatError(
            f"numpy scalar of dtype {dtype} needs {dtype.itemsize} bytes, "
            f"the file holds {len(data) if hasattr(data, '__len__') else data!r}"
        )
    return np.frombuffer(bytes(data), dtype=dtype)[0].astype(dtype.newbyteorder("="))


def _c_order(array):
    """C-contiguous without a needless copy (`np.ascontiguousarray` would turn 0-d into 1-d)."""
    return array if array.flags.c_contiguous else array.copy(order="C")


class _NdarrayClass:
    """Stands for `numpy.ndarray` as the class argument of `_reconstruct` (never instantiated)."""

    def __setstate__(self, state):
        raise UnsafePickleError("refusing to set state on numpy.ndarray")


class _PickledArray:
    """`numpy.core.multiarray._reconstruct(ndarray, shape, typecode)` plus `__setstate__`."""

    def __init__(self, cls, shape=None, typecode=None):
        if cls is not _NdarrayClass:
            raise UnsafePickleError(
                "numpy _reconstruct called with a class other than numpy.ndarray"
            )
        self.array = None

    def __setstate__(self, state):
        # ndarray state: (version, shape, dtype, is_fortran, rawdata) or without version.
        if not isinstance(state, tuple) or len(state) not in (4, 5):
            raise NVLabsFormatError(
                "numpy array state is not numpy's (version, shape, dtype, fortran, data)"
            )
        shape, dtype, is_fortran, raw = state[-4:]
        dtype = _as_dtype(dtype)
        if not isinstance(shape, tuple) or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape
        ):
            raise NVLabsFormatError(
                f"numpy array shape {shape!r} is not a tuple of non-negative ints"
            )
        if isinstance(raw, str):  # protocol 2 text of the raw bytes
            raw = raw.encode("latin-1")
        if not isinstance(raw, (bytes, bytearray)):
            raise UnsafePickleError(
                f"refusing a numpy array whose data is a {type(raw).__name__} "
                "(object arrays hold Python objects, not numbers)"
            )
        count = math.prod(shape)
        if count * dtype.itemsize != len(raw):
            raise NVLabsFormatError(
                f"numpy array of shape {shape} and dtype {dtype} needs "
                f"{count * dtype.itemsize} bytes, the file holds {len(raw)}"
            )
        array = np.frombuffer(raw, dtype=dtype, count=count).reshape(
            shape, order="F" if is_fortran else "C"
        )
        self.array = _c_order(array.astype(dtype.newbyteorder("="), copy=False))


class _EasyDict(dict):
    """`dnnlib.util.EasyDict` / `dnnlib.EasyDict`: a dict; read back as a plain dict."""

    def __setstate__(self, state):
        if state:
            raise NVLabsFormatError(
                "an EasyDict with instance attributes is not what dnnlib writes"
            )


class _PersistentObject:
    """`torch_utils.persistence._reconstruct_persistent_obj(meta)`: keeps the metadata only."""

    def __init__(self, meta):
        if not isinstance(meta, dict) or meta.get("type") != "class":
            raise NVLabsFormatError(
                "torch_utils.persistence metadata is not a dict with type 'class'"
            )
        for key in ("class_name", "state"):
            if key not in meta:
                raise NVLabsFormatError(f"torch_utils.persistence metadata lacks {key!r}")
        self.meta = meta

    def __setstate__(self, state):
        # The persistence decorator pickles no separate state; a BUILD here is not NVIDIA's.
        raise NVLabsFormatError("a torch_utils.persistence object with extra pickled state")


class _TFNetwork:
    """`dnnlib.tflib.network.Network`: keeps the state given to `__setstate__`."""

    def __init__(self, *args):
        self.state = None

    def __setstate__(self, state):
        if not isinstance(state, dict):
            raise NVLabsFormatError("a dnnlib.tflib Network state is not a dict")
        self.state = state


# --------------------------------------------------------------------------
# PyTorch storages and tensors.

_STORAGE_DTYPES = {
    "FloatStorage": np.dtype("<f4"),
    "HalfStorage": np.dtype("<f2"),
    "DoubleStorage": np.dtype("<f8"),
    "BFloat16Storage": np.dtype("<u2"),  # widened to float32 after reading
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001


class _StorageType:
    """`torch.<X>Storage` class as referenced from a legacy torch.save stream."""

    def __init__(self, name):
        self.name = name
        self.dtype = _STORAGE_DTYPES[name]

    def __call__(self, *args):
        raise UnsafePickleError(f"refusing to call torch.{self.name} inside a pickle")

    def __setstate__(self, state):
        raise UnsafePickleError(f"refusing to set state on torch.{self.name}")


class _Storage:
    """A flat storage: a 1-d numpy array of the storage's dtype (a view of the file's bytes)."""

    def __init__(self, data, type_name):
        self.data = data
        self.type_name = type_name


class _StorageUnpickler(pickle.Unpickler):
    """Second restricted unpickler, for the legacy torch.save stream inside each storage blob."""

    def __init__(self, file):
        super().__init__(file)
        self.storages = {}

    def find_class(self, module, name):
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise UnsafePickleError(
            f"refusing global {module}.{name} inside a torch storage blob "
            "(only torch.<dtype>Storage classes may appear there)"
        )

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage"):
            raise NVLabsFormatError(
                f"torch storage persistent id {pid!r} is not "
                "('storage', type, key, location, numel, view)"
            )
        _, storage_type, key, location, numel, view = pid
        if not isinstance(storage_type, _StorageType):
            raise NVLabsFormatError(
                f"torch storage persistent id names {storage_type!r}, not a storage class"
            )
        if not isinstance(key, str) or not isinstance(numel, int) or numel < 0:
            raise NVLabsFormatError(
                f"torch storage persistent id {pid!r} has a bad key or element count"
            )
        if view is not None:
            raise NVLabsFormatError("torch storage views inside a storage blob are not supported")
        if key in self.storages and self.storages[key][0] is not storage_type:
            raise NVLabsFormatError(f"torch storage key {key!r} is declared with two types")
        self.storages[key] = (storage_type, numel)
        return key


def _load_storage_blob(blob):
    """`torch.storage._load_from_bytes(blob)`: parses one legacy torch.save stream of a storage."""
    if not isinstance(blob, (bytes, bytearray)):
        raise NVLabsFormatError(
            f"torch.storage._load_from_bytes got a {type(blob).__name__}, not bytes"
        )
    stream = io.BytesIO(blob)
    header = _StorageUnpickler(stream)
    try:
        magic = header.load()
        protocol = header.load()
        sys_info = header.load()
    except (UnsafePickleError, NVLabsFormatError):
        raise
    except Exception as e:
        raise NVLabsFormatError(
            f"torch storage blob header is unreadable ({type(e).__name__}: {e})"
        ) from None
    if magic != _LEGACY_MAGIC or protocol != _LEGACY_PROTOCOL:
        raise NVLabsFormatError(
            f"torch storage blob has magic {magic!r} / protocol {protocol!r}; "
            f"expected the legacy torch.save header ({_LEGACY_MAGIC:#x}, {_LEGACY_PROTOCOL})"
        )
    if not isinstance(sys_info, dict) or sys_info.get("little_endian") is not True:
        raise NVLabsFormatError(
            f"torch storage blob was written on a big-endian machine or lacks sys_info "
            f"({sys_info!r}); only little-endian files are read"
        )
    body = _StorageUnpickler(stream)
    try:
        key = body.load()
        keys = body.load()
    except (UnsafePickleError, NVLabsFormatError):
        raise
    except Exception as e:
        raise NVLabsFormatError(
            f"torch storage blob is unreadable ({type(e).__name__}: {e})"
        ) from None
    if not isinstance(key, str) or key not in body.storages:
        raise NVLabsFormatError(f"torch storage blob holds {type(key).__name__}, not one storage")
    if not isinstance(keys, list) or sorted(keys) != sorted(body.storages):
        raise NVLabsFormatError(
            f"torch storage blob's key list {keys!r} does not match its storages"
        )
    view = memoryview(blob)
    offset = stream.tell()
    result = None
    for k in keys:
        storage_type, numel = body.storages[k]
        if offset + 8 > len(blob):
            raise NVLabsFormatError(
                f"torch storage {k!r} is truncated: no element count after the header"
            )
        (stored_numel,) = struct.unpack_from("<q", blob, offset)
        offset += 8
        itemsize = storage_type.dtype.itemsize
        if stored_numel != numel:
            raise NVLabsFormatError(
                f"torch storage {k!r} claims {numel} elements in its header "
                f"but {stored_numel} before its data"
            )
        nbytes = numel * itemsize
        if offset + nbytes > len(blob):
            raise NVLabsFormatError(
                f"torch storage {k!r} claims {numel} {storage_type.name} elements "
                f"({nbytes} bytes) but only {len(blob) - offset} bytes of data follow"
            )
        data = np.frombuffer(view[offset : offset + nbytes], dtype=storage_type.dtype, count=numel)
        if storage_type.name == "BFloat16Storage":
            data = (data.astype(np.uint32) << 16).view(np.float32)
        offset += nbytes
        if k == key:
            result = _Storage(data, storage_type.name)
    return result


def _rebuild_tensor_v2(
    storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None
):
    """`torch._utils._rebuild_tensor_v2`: a numpy copy honouring offset, size and stride."""
    if not isinstance(storage, _Storage):
        raise NVLabsFormatError(
            f"_rebuild_tensor_v2 got a {type(storage).__name__}, not a torch storage"
        )

    def ints(value, what):
        if not isinstance(value, tuple) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value
        ):
            raise NVLabsFormatError(f"tensor {what} {value!r} is not a tuple of non-negative ints")
        return value

    size, stride = ints(size, "size"), ints(stride, "stride")
    if len(size) != len(stride):
        raise NVLabsFormatError(f"tensor size {size} and stride {stride} have different lengths")
    if not isinstance(storage_offset, int) or storage_offset < 0:
        raise NVLabsFormatError(
            f"tensor storage offset {storage_offset!r} is not a non-negative int"
        )
    data = storage.data
    if 0 in size:
        return np.zeros(size, dtype=data.dtype)
    numel = math.prod(size)
    if numel > data.shape[0] - storage_offset:
        # Only broadcasts (stride 0) could legally do this, and network weights never are one.
        raise NVLabsFormatError(
            f"tensor of size {size} claims {numel} elements but its {storage.type_name} holds "
            f"{data.shape[0] - storage_offset} after offset {storage_offset}"
        )
    last = storage_offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= data.shape[0]:
        raise NVLabsFormatError(
            f"tensor of size {size}, stride {stride} at offset {storage_offset} needs "
            f"{last + 1} elements but its {storage.type_name} holds {data.shape[0]}"
        )
    itemsize = data.dtype.itemsize
    view = np.lib.stride_tricks.as_strided(
        data[storage_offset:],
        shape=size,
        strides=tuple(s * itemsize for s in stride),
        writeable=False,
    )
    # A contiguous tensor stays a view of the file's bytes (no copy); others are copied to C order.
    return _c_order(view)


def _rebuild_parameter(data, requires_grad=True, backward_hooks=None):
    if not isinstance(data, np.ndarray):
        raise NVLabsFormatError(f"_rebuild_parameter got a {type(data).__name__}, not a tensor")
    return data


def _codecs_encode(text, encoding="utf-8"):
    """`_codecs.encode(str, 'latin1')`: how protocol 2 writes `bytes`; nothing else is allowed."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafePickleError(
            f"refusing _codecs.encode with encoding {encoding!r} (protocol-2 bytes use latin1 only)"
        )
    return text.encode("latin-1")


def _builtins_set(items=()):
    return set(items)


def _ordered_dict(*args):
    if args and not (len(args) == 1 and isinstance(args[0], (list, tuple))):
        raise NVLabsFormatError("collections.OrderedDict called with unexpected arguments")
    return collections.OrderedDict(*args)


class _Reconstructor:
    """An allowed function as handed to the unpickler.

    Wrapping keeps a hostile BUILD opcode from setting attributes on the real
    function (e.g. its `__defaults__`): this object refuses any state.
    """

    def __init__(self, function, qualname):
        self._function = function
        self._qualname = qualname

    def __call__(self, *args):
        return self._function(*args)

    def __setstate__(self, state):
        raise UnsafePickleError(f"refusing to set state on the global {self._qualname}")

    def __reduce__(self):
        raise TypeError(f"{self._qualname} stub is not picklable")


# (module, name) -> what the restricted unpickler returns for it. Both numpy 1
# (`numpy.core`) and numpy 2 (`numpy._core`) spellings are accepted.
ALLOWED_GLOBALS = {
    ("torch_utils.persistence", "_reconstruct_persistent_obj"): _PersistentObject,
    ("dnnlib.util", "EasyDict"): _EasyDict,
    ("dnnlib", "EasyDict"): _EasyDict,
    ("dnnlib.tflib.network", "Network"): _TFNetwork,
    ("collections", "OrderedDict"): _Reconstructor(_ordered_dict, "collections.OrderedDict"),
    ("builtins", "set"): _Reconstructor(_builtins_set, "builtins.set"),
    ("_codecs", "encode"): _Reconstructor(_codecs_encode, "_codecs.encode"),
    ("torch._utils", "_rebuild_tensor_v2"): _Reconstructor(
        _rebuild_tensor_v2, "torch._utils._rebuild_tensor_v2"
    ),
    ("torch._utils", "_rebuild_parameter"): _Reconstructor(
        _rebuild_parameter, "torch._utils._rebuild_parameter"
    ),
    ("torch.storage", "_load_from_bytes"): _Reconstructor(
        _load_storage_blob, "torch.storage._load_from_bytes"
    ),
    ("numpy", "dtype"): _PickledDtype,
    ("numpy", "ndarray"): _NdarrayClass,
    ("numpy.core.multiarray", "scalar"): _Reconstructor(
        _numpy_scalar, "numpy.core.multiarray.scalar"
    ),
    ("numpy._core.multiarray", "scalar"): _Reconstructor(
        _numpy_scalar, "numpy._core.multiarray.scalar"
    ),
    ("numpy.core.multiarray", "_reconstruct"): _PickledArray,
    ("numpy._core.multiarray", "_reconstruct"): _PickledArray,
}

# Python 2 module names that protocol-2 files may carry (pickle's fix_imports).
_MODULE_ALIASES = {"__builtin__": "builtins", "copy_reg": "copyreg"}


class _SnapshotUnpickler(pickle.Unpickler):
    """Resolves only `ALLOWED_GLOBALS`; every other global raises `UnsafePickleError`."""

    def find_class(self, module, name):
        module = _MODULE_ALIASES.get(module, module)
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except (KeyError, TypeError):
            raise UnsafePickleError(
                f"refusing global {module}.{name}: NVIDIA network pickles never reference it and "
                "loading it could run code; nothing was run (allowed globals: "
                "keras_gans.zoo.nvlabs.reader.ALLOWED_GLOBALS)"
            ) from None

    def persistent_load(self, pid):
        raise UnsafePickleError(
            f"refusing persistent id {str(pid)[:80]!r} in the outer pickle "
            "(NVIDIA snapshots have none)"
        )


# --------------------------------------------------------------------------
# Plain records.


_PLAIN_LIMIT = 100_000  # values in one network's kwargs; real files hold a few dozen


class _Budget:
    """Counts values visited, so a forged file of shared nested lists cannot explode the walk."""

    def __init__(self, limit=_PLAIN_LIMIT):
        self.left = limit

    def spend(self, where):
        self.left -= 1
        if self.left < 0:
            raise NVLabsFormatError(
                f"{where}: more than {_PLAIN_LIMIT} values in a network's kwargs "
                "(real files hold a few dozen; forged file?)"
            )


def _plain(value, where="value", budget=None):
    """Turns unpickled kwargs into plain Python: dicts, lists, tuples, numbers, strings, arrays."""
    budget = budget or _Budget()
    budget.spend(where)
    if isinstance(value, _PickledArray):
        return value.array
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (_EasyDict, dict)):
        return {k: _plain(v, f"{where}[{k!r}]", budget) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, where, budget) for v in value]
    if isinstance(value, tuple):
        return tuple(_plain(v, where, budget) for v in value)
    if isinstance(value, (set, frozenset)):
        return {_plain(v, where, budget) for v in value}
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes, np.ndarray)):
        return value
    if isinstance(value, _PickledDtype):
        return value.dtype
    raise NVLabsFormatError(
        f"{where} holds a {type(value).__name__}, which no plain network kwarg is"
    )


def _visit_once(obj, seen, where):
    """Sub-networks form a tree in real files; a module reached twice is a forged DAG.

    (Walking a DAG of shared modules would take exponential time.)
    """
    if id(obj) in seen:
        raise NVLabsFormatError(
            f"{where}: the same sub-network appears twice in one network "
            "(NVIDIA files never share modules; forged file?)"
        )
    seen.add(id(obj))


def _source_text(source):
    if source is None:
        return None, None
    if isinstance(source, bytes):
        source = source.decode("utf-8")
    if not isinstance(source, str):
        raise NVLabsFormatError(f"embedded module source is a {type(source).__name__}, not text")
    return _stripped_and_hashed(source)


@functools.lru_cache(maxsize=16)
def _stripped_and_hashed(source):
    # Every module of a network carries the same source text: hash it once.
    source = source.removeprefix("\ufeff")
    return source, hashlib.sha256(source.encode("utf-8")).hexdigest()


def _torch_record(obj, name, where, seen=None):
    seen = set() if seen is None else seen
    _visit_once(obj, seen, where)
    meta = obj.meta
    state = meta["state"]
    if not isinstance(state, dict):
        raise NVLabsFormatError(
            f"{where}: persistent object state is a {type(state).__name__}, not a dict"
        )
    class_name = meta["class_name"]
    if not isinstance(class_name, str):
        raise NVLabsFormatError(f"{where}: persistent class name {class_name!r} is not a string")
    source, sha = _source_text(meta.get("module_src"))
    tensors, modules, buffer_names = {}, {}, []
    non_persistent = state.get("_non_persistent_buffers_set") or set()
    for group in ("_parameters", "_buffers"):
        entries = state.get(group) or {}
        if not isinstance(entries, dict):
            raise NVLabsFormatError(f"{where}.{group} is a {type(entries).__name__}, not a dict")
        for key, tensor in entries.items():
            if tensor is None or (group == "_buffers" and key in non_persistent):
                continue
            if not isinstance(tensor, np.ndarray):
                raise NVLabsFormatError(f"{where}.{key} is a {type(tensor).__name__}, not a tensor")
            tensors[key] = tensor
            if group == "_buffers":
                buffer_names.append(key)
    children = state.get("_modules") or {}
    if not isinstance(children, dict):
        raise NVLabsFormatError(f"{where}._modules is a {type(children).__name__}, not a dict")
    for key, child in children.items():
        if child is None:
            continue
        if not isinstance(child, _PersistentObject):
            raise NVLabsFormatError(
                f"{where}.{key} is a {type(child).__name__}, not a persistent network module"
            )
        record = _torch_record(child, key, f"{where}.{key}", seen)
        modules[key] = record
        tensors.update((f"{key}.{k}", v) for k, v in record.tensors.items())
        buffer_names.extend(f"{key}.{k}" for k in record.buffer_names)
    attributes = {}
    for key, value in state.items():
        if key.startswith("_") or key == "training":
            continue
        try:
            attributes[key] = _plain(value, f"{where}.{key}")
        except NVLabsFormatError:
            continue  # not plain data (never in official files); converters do not need it
    args = state.get("_init_args", ())
    kwargs = state.get("_init_kwargs", {})
    if not isinstance(kwargs, dict) or not isinstance(args, (tuple, list)):
        raise NVLabsFormatError(f"{where}: constructor arguments are not a tuple and a dict")
    version = meta.get("version")
    return NetworkRecord(
        name=name,
        class_name=class_name,
        kwargs=_plain(kwargs, f"{where} kwargs"),
        tensors=tensors,
        components={},
        version=None,
        source_sha256=sha,
        args=tuple(_plain(list(args), f"{where} args")),
        attributes=attributes,
        modules=modules,
        buffer_names=tuple(buffer_names),
        source=source,
        persistence_version=version if isinstance(version, int) else None,
    )


_TF_STATE_VERSIONS = (2, 3, 4, 5)


def _tf_record(net, where, seen=None):
    seen = set() if seen is None else seen
    _visit_once(net, seen, where)
    state = net.state
    if state is None:
        raise NVLabsFormatError(f"{where}: a dnnlib.tflib Network without state")
    for key in ("version", "name", "static_kwargs", "build_func_name", "variables"):
        if key not in state:
            raise NVLabsFormatError(f"{where}: Network state lacks {key!r} (has {sorted(state)})")
    version = state["version"]
    if version not in _TF_STATE_VERSIONS:
        raise NVLabsFormatError(
            f"{where}: Network state version {version!r} is not one of "
            f"{_TF_STATE_VERSIONS} (StyleGAN 3, StyleGAN2 4, StyleGAN2-ADA 5)"
        )
    name, func = state["name"], state["build_func_name"]
    if not isinstance(name, str) or not isinstance(func, str):
        raise NVLabsFormatError(
            f"{where}: Network name {name!r} / build_func_name {func!r} are not strings"
        )
    tensors = {}
    variables = state["variables"]
    if not isinstance(variables, (list, tuple)):
        raise NVLabsFormatError(
            f"{where}: Network variables are a {type(variables).__name__}, not a list"
        )
    for item in variables:
        if not (isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], str)):
            raise NVLabsFormatError(
                f"{where}: a Network variable entry is not a (name, value) pair"
            )
        var_name, value = item
        if isinstance(value, _PickledArray):
            value = value.array
        elif isinstance(value, np.generic):
            value = np.asarray(value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            value = np.asarray(value, dtype=np.float32)
        if not isinstance(value, np.ndarray):
            raise NVLabsFormatError(
                f"{where}: variable {var_name!r} is a {type(value).__name__}, not an array"
            )
        tensors[var_name] = value
    components = {}
    raw_components = state.get("components") or {}
    if not isinstance(raw_components, dict):
        raise NVLabsFormatError(f"{where}: Network components are not a dict")
    for key, comp in raw_components.items():
        if not isinstance(comp, _TFNetwork):
            raise NVLabsFormatError(
                f"{where}: component {key!r} is a {type(comp).__name__}, not a Network"
            )
        components[key] = _tf_record(comp, f"{where}.{key}", seen)
    source, sha = _source_text(state.get("build_module_src"))
    kwargs = state["static_kwargs"]
    if not isinstance(kwargs, dict):
        raise NVLabsFormatError(f"{where}: static_kwargs is a {type(kwargs).__name__}, not a dict")
    return NetworkRecord(
        name=name,
        class_name=func,
        kwargs=_plain(kwargs, f"{where} static_kwargs"),
        tensors=tensors,
        components=components,
        version=version,
        source_sha256=sha,
        source=source,
    )


_TORCH_KEYS = ("G", "D", "G_ema")


def _snapshot_from(obj, label):
    if isinstance(obj, dict) and all(k in obj for k in _TORCH_KEYS):
        snap = {"format": "pytorch"}
        for key in _TORCH_KEYS:
            if not isinstance(obj[key], _PersistentObject):
                raise NVLabsFormatError(
                    f"{label}: snapshot[{key!r}] is a {type(obj[key]).__name__}, "
                    "not a persistent network"
                )
            snap[key] = _torch_record(obj[key], key, key)
        pipe = obj.get("augment_pipe")
        if pipe is not None and not isinstance(pipe, _PersistentObject):
            raise NVLabsFormatError(
                f"{label}: snapshot['augment_pipe'] is a {type(pipe).__name__}, "
                "not a persistent module"
            )
        snap["augment_pipe"] = (
            None if pipe is None else _torch_record(pipe, "augment_pipe", "augment_pipe")
        )
        kwargs = obj.get("training_set_kwargs")
        snap["training_set_kwargs"] = (
            None if kwargs is None else _plain(kwargs, "training_set_kwargs")
        )
        return snap
    if isinstance(obj, tuple) and len(obj) == 3 and all(isinstance(n, _TFNetwork) for n in obj):
        snap = {"format": "tf"}
        for key, net in zip(("G", "D", "Gs"), obj):
            snap[key] = _tf_record(net, key)
        return snap
    if isinstance(obj, dict):
        what = f"a dict with keys {sorted(map(str, obj))[:8]}"
    elif isinstance(obj, tuple):
        what = f"a tuple of {len(obj)} ({', '.join(type(o).__name__ for o in obj[:4])})"
    else:
        what = f"a {type(obj).__name__}"
    raise NVLabsFormatError(
        f"the pickle holds {what}, not a StyleGAN snapshot: expected a "
        "stylegan2-ada-pytorch/stylegan3 "
        "dict with G, D, G_ema or a TF (G, D, Gs) tuple of dnnlib.tflib Networks"
    )


class _BoundedReader:
    """A binary file that refuses reads past its end before they allocate anything.

    The unpickler asks for an object's full claimed length at once; a forged
    length (terabytes) would otherwise become a huge allocation.
    """

    def __init__(self, raw, size):
        self._raw = raw
        self._size = size

    def _check(self, n):
        if n is not None and n > 0:
            remaining = self._size - self._raw.tell()
            if n > remaining:
                raise NVLabsFormatError(
                    f"the pickle ends early: it claims {n} bytes at byte {self._raw.tell()} but "
                    "only "
                    f"{remaining} remain (truncated download or forged file); fetch the file again"
                )

    def read(self, n=-1):
        self._check(n)
        return self._raw.read(n)

    def readinto(self, buffer):
        self._check(len(memoryview(buffer)))
        return self._raw.readinto(buffer)

    def readline(self, limit=-1):
        return self._raw.readline(limit)


def _one_line(message):
    return " ".join(str(message).split())


def read_snapshot(path):
    """Reads an NVIDIA StyleGAN network pickle without executing anything in it.

    Args:
        path: a `.pkl` written by stylegan2-ada-pytorch / stylegan3 (a dict with
            `G`, `D`, `G_ema`, `augment_pipe`, `training_set_kwargs`) or by the
            TF StyleGAN / StyleGAN2 / StyleGAN2-ADA training loops (a
            `(G, D, Gs)` tuple). A file-like object opened in binary mode also
            works.

    Returns:
        PyTorch: `{"format": "pytorch", "G", "D", "G_ema": NetworkRecord,
        "augment_pipe": NetworkRecord or None, "training_set_kwargs": dict or None}`.
        TF: `{"format": "tf", "G", "D", "Gs": NetworkRecord}`.

    Raises:
        UnsafePickleError: the file references a global outside
            `ALLOWED_GLOBALS` (it would run code), an object-dtype array, or a
            disallowed global inside a storage blob. Nothing in it was run.
        NVLabsFormatError: truncated or corrupt file, a tensor whose claimed
            size exceeds its data, or a pickle of something that is no network.
        FileNotFoundError: no file at `path`.

    Example:

    >>> snap = read_snapshot("stylegan2-ffhq-config-f.pkl")  # doctest: +SKIP
    >>> snap["format"], snap["Gs"].class_name  # doctest: +SKIP
    ('tf', 'G_main')
    >>> snap["Gs"].components["mapping"].tensors["Dense0/weight"].shape  # doctest: +SKIP
    (512, 512)
    """
    if hasattr(path, "read"):
        return _read(path, getattr(path, "name", "<stream>"))
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No NVIDIA snapshot at {path}: pass the path of a .pkl file")
    # Buffered reads: the unpickler streams the file; only the tensors' bytes stay in memory.
    with open(path, "rb", buffering=1 << 20) as f:
        head = f.peek(64)[:64].lstrip().lower()
        if head.startswith((b"<!doctype", b"<html", b"<?xml", b"<head")):
            # What a download returns when it got a web page (a sign-in, a quota or Google
            # Drive's confirmation page) instead of the file.
            raise NVLabsFormatError(
                f"{path} is an HTML page, not a pickle: the download returned a web page "
                "(sign-in, quota or confirmation page); delete it and download the file in a "
                "browser")
        return _read(_BoundedReader(f, os.fstat(f.fileno()).st_size), path)


def _read(stream, label):
    try:
        obj = _SnapshotUnpickler(stream).load()
        return _snapshot_from(obj, label)
    except UnsafePickleError as e:
        raise UnsafePickleError(_one_line(f"{label}: {e}")) from None
    except NVLabsFormatError as e:
        raise NVLabsFormatError(_one_line(f"{label}: {e}")) from None
    except (EOFError, pickle.UnpicklingError) as e:
        if isinstance(e, pickle.UnpicklingError) and "truncated" not in str(e):
            raise NVLabsFormatError(_one_line(f"{label}: not a readable pickle ({e})")) from None
        raise NVLabsFormatError(
            f"{label}: the pickle ends early (truncated download?); fetch the file again"
        ) from None
    except MemoryError:
        raise NVLabsFormatError(
            f"{label}: the pickle claims an object larger than this machine's memory "
            "(forged or corrupt file); fetch the file again"
        ) from None
    except RecursionError:
        raise NVLabsFormatError(
            f"{label}: the pickle nests too deeply to be a network file"
        ) from None
    except Exception as e:  # anything else pickle or a reconstructor raises on a broken file
        raise NVLabsFormatError(
            _one_line(f"{label}: not a readable NVIDIA snapshot ({type(e).__name__}: {e})")
        ) from None
