"""Compile options declared once.

A family lists its `compile` options as `Option`s in a class attribute
`options`; `compile`, `get_compile_config`/`compile_from_config` (so `.keras`
files keep them), the compile docstring table and the CLI all read that one
declaration. A subclass re-declares an inherited option to change its default
(WGAN: `Option("d_steps", 5)`), or adds its own in one line.

Example:

>>> class MyGAN(GAN):  # doctest: +SKIP
...     options = (Option("penalty_weight", 10.0, "lambda of the penalty",
...                       check=non_negative),)
>>> gan.compile(penalty_weight=5.0)  # doctest: +SKIP
>>> gan.penalty_weight  # doctest: +SKIP
5.0
"""

import copy


class Option:
    """One compile option: its name, default, meaning and validation.

    Args:
        name: keyword of `compile` and attribute of the model.
        default: value used when `compile` does not get it. Mutable defaults
            are copied per model.
        doc: one line for the docs.
        check: optional callable `check(value) -> value` that converts and
            validates, raising `ValueError` with a message naming the value.
        saved: whether `get_compile_config` records it (False for values that
            are not serializable, e.g. a callable rebuilt by the family).
        attr: the model attribute holding the converted value; default `name`
            (`loss` is kept as `adversarial_loss`: Keras owns `Model.loss`).
            A value with `get_config()` is saved as that config.

    Example:

    >>> opt = Option("gamma", 0.5, "BEGAN's diversity ratio", check=in_unit_interval)
    >>> opt.convert(0.25)
    0.25
    """

    def __init__(self, name, default, doc="", check=None, saved=True, attr=None):
        self.name = str(name)
        self.attr = str(attr or name)
        self.default = default
        self.doc = doc
        self.check = check
        self.saved = bool(saved)

    def convert(self, value):
        if self.check is None:
            return value
        try:
            return self.check(value)
        except ValueError as err:
            raise ValueError(f"{self.name} {err}") from None

    def initial(self):
        return copy.deepcopy(self.default)

    def __repr__(self):
        return f"Option({self.name!r}, {self.default!r})"


def declared_options(cls, attribute="options"):
    """`{name: Option}` of a class, base classes first, subclasses overriding.

    `attribute` names the class attribute holding them: "options" (compile
    options) or "constructor_options" (constructor arguments a family adds).
    """
    found = {}
    for klass in reversed(cls.__mro__):
        for opt in klass.__dict__.get(attribute, ()):
            found[opt.name] = opt
    return found


def options_table(cls):
    """A Markdown table of a class's compile options (name, default, meaning)."""
    rows = ["| option | default | meaning |", "|---|---|---|"]
    for opt in declared_options(cls).values():
        rows.append(f"| `{opt.name}` | `{opt.default!r}` | {opt.doc} |")
    return "\n".join(rows)


# ------------------------------------------------------------------ checks
def optional_positive_int(value):
    """None, or an integer >= 1."""
    return None if value is None else positive_int(value)


def num_classes(value):
    """The class count of a conditional family: an integer >= 2."""
    if value is None or isinstance(value, bool) or int(value) != value or int(value) < 2:
        raise ValueError(f"must be an integer >= 2 (a conditional model); got {value!r}.")
    return int(value)


def non_negative(value):
    """float(value), refusing negatives."""
    value = float(value)
    if not value >= 0.0:
        raise ValueError(f"must be >= 0; got {value}.")
    return value


def positive(value):
    """float(value), refusing zero and negatives."""
    value = float(value)
    if not value > 0.0:
        raise ValueError(f"must be > 0; got {value}.")
    return value


def positive_int(value):
    """int(value), refusing values below 1 (and non-integers)."""
    if isinstance(value, bool) or int(value) != value:
        raise ValueError(f"must be an integer >= 1; got {value!r}.")
    value = int(value)
    if value < 1:
        raise ValueError(f"must be an integer >= 1; got {value}.")
    return value


def non_negative_int(value):
    """int(value), refusing negatives (and non-integers)."""
    if isinstance(value, bool) or int(value) != value or int(value) < 0:
        raise ValueError(f"must be an integer >= 0; got {value!r}.")
    return int(value)


def optional_positive(value):
    """None, or float(value) > 0."""
    return None if value is None else positive(value)


def in_unit_interval(value):
    """float(value) in [0, 1]."""
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"must lie in [0, 1]; got {value}.")
    return value


def one_of(*choices):
    """A check accepting exactly `choices`."""
    def check(value):
        if value not in choices:
            raise ValueError(f"must be one of {choices}; got {value!r}.")
        return value

    return check


def boolean(value):
    """bool(value), refusing anything but a bool or 0/1."""
    if value not in (True, False, 0, 1):
        raise ValueError(f"must be True or False; got {value!r}.")
    return bool(value)
