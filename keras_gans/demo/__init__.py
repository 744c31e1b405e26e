"""A browser demo of the exported models: `keras-gans demo [NAMES...]`.

The page samples from SavedModels (never the training code): a seed, a
batch size and, where the export offers them, a truncation slider
(`truncation_psi`), a class picker (`labels`), a style-mixing grid
(`style_mixing`), a latent walk in z or w (`mapping` + `synthesis`) and an
image upload for translation models (`images` uint8 in, `target_domain`).
What the page shows follows each SavedModel's signatures. Seed `s` gives
the latents of `model.sample(n, seed=s)`.

Needs the `demo` extra (`pip install -e ".[demo]"`: fastapi, uvicorn,
python-multipart).

Example:

>>> import keras_gans.demo
>>> keras_gans.demo.serve(["dcgan_fashion_mnist", "stylegan2_fashion_mnist"])  # doctest: +SKIP
keras-gans demo on http://127.0.0.1:8000 (Ctrl-C stops it)
"""

import ipaddress

from keras_gans.demo.models import DemoInputError, DemoModel, load_models  # noqa: F401


def create_app(names=None, root=None):
    """The FastAPI app for `names` (preset names, model folders or version
    directories; default: every generator or translation export in `root`)."""
    from keras_gans.demo.app import create_app as _create

    return _create(load_models(names, root))


def check_loopback(host):
    """Refuses any host but a loopback address: the demo is for this machine."""
    name = "127.0.0.1" if host == "localhost" else host
    try:
        loopback = ipaddress.ip_address(name).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(
            f"The demo binds to loopback addresses only (127.0.0.1, ::1); got host={host!r}. "
            "Put a reverse proxy in front of it to share it.")
    return host


def make_server(names=None, host="127.0.0.1", port=8000, root=None):
    """A `uvicorn.Server` for the demo, not started (`server.run()` blocks;
    set `server.should_exit = True` to stop it from another thread)."""
    import uvicorn

    check_loopback(host)
    if not (0 <= int(port) <= 65535):
        raise ValueError(f"port must be in [0, 65535]; got {port}.")
    config = uvicorn.Config(create_app(names, root), host=host, port=int(port),
                            log_level="warning", access_log=False)
    return uvicorn.Server(config)


def serve(names=None, host="127.0.0.1", port=8000, root=None):
    """Serves the demo page until interrupted.

    Args:
        names: preset names with a SavedModel (e.g. `"dcgan_fashion_mnist"`),
            model folders (`savedmodels/x`, the highest version is used) or
            version directories; default: every generator or translation
            export in `root`.
        host: a loopback address (anything else is refused).
        port: TCP port.
        root: where preset names are looked up (default
            `keras_gans.zoo.savedmodels_dir()`).
    """
    server = make_server(names, host, port, root)
    print(f"keras-gans demo on http://{host}:{port} (Ctrl-C stops it)", flush=True)
    server.run()
