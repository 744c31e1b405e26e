"""The `keras-gans` command line: train, sample, evaluate, export, list the zoo.

Examples:

    keras-gans sample dcgan_fashion_mnist -n 64 -o samples.png
    keras-gans train dcgan --dataset fashion_mnist --epochs 5 --out runs/dcgan
    keras-gans sample runs/dcgan -n 64 -o grid.png --seed 1
    keras-gans export runs/dcgan --out savedmodels/my_dcgan
    keras-gans eval stylegan2_fashion_mnist --metrics fid --n 2000
    keras-gans zoo list

`main` and the parser import no TensorFlow: `--help`, `zoo list`, `zoo info`
and `families` answer at once; each other command imports it (quietly, unless
`--verbose`) when it runs. Exit codes: 0 ok, 2 bad input or an expected error
(one line; `--debug` for the traceback), 1 unexpected error (docs/cli.md).
"""

from keras_gans.cli.app import (  # noqa: F401
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_UNEXPECTED,
    CommandError,
    build_parser,
    main,
)


def load_model(name_or_path):
    """A model from a run folder, a `.keras` file or a preset (see `cli.runtime.load_model`)."""
    from keras_gans.cli.runtime import load_model as load

    return load(name_or_path)
