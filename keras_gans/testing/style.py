"""Shared tests of the style-based families (StyleGAN, StyleGAN2, converted NVIDIA models).

`StyleExportContract` is the harness's fresh-process export check for them: their
`serving_default` also takes `truncation_psi`, and they export `mapping`, `synthesis`,
`style_mixing` and `generate_seeded`.

Example:

>>> class TestMyStyleGAN(StyleExportContract, GANFamilyTests):  # doctest: +SKIP
...     def make_model(self):
...         return StyleGAN2(resolution=8, latent_dim=8, mapping_layers=2)
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import tensorflow as tf

from keras_gans.models.karras_common import PSI_MESSAGE


def with_noise(gan, strength=1.0):
    """Noise strengths start at 0 (the papers); make the noise visible."""
    for layer in gan.inference_generator.synthesis.noises:
        layer.strength.assign(tf.fill(layer.strength.shape, strength))
    return gan


class StyleExportContract:
    """The harness's fresh-process export check, for style-based families.

    Their `serving_default` also takes `truncation_psi`, which the shared
    harness does not feed; this checks it, the extra endpoints and the
    in-graph psi assertion in a process that imports only TensorFlow.
    """

    #: This class's fresh-process check replaces the harness's export test.
    test_export_reload = None

    def test_export_reload_in_fresh_process(self, tmp_path):
        from keras_gans.export import export_savedmodel

        model = with_noise(self.build(), 0.3)
        path = export_savedmodel(model, os.path.join(tmp_path, "sm", "tiny"))
        z, _ = self.fixed_inputs(model)
        psi = np.array([1.0, 0.5, 0.0], np.float32)
        seeds = np.array([5, 6, 7], np.int64)
        arrays = {
            "z": z, "psi": psi, "seeds": seeds,
            "ref": model.generate(z),
            "ref_psi": model.generate(z, truncation_psi=psi),
            "ref_seeded": model.generate(z, truncation_psi=psi, noise_mode="random",
                                         noise_seed=seeds),
            "ref_w": model.mapping(z),
            "ref_mix": model.style_mixing(z, z[::-1], [0, 1, 99]),
        }
        for name, value in arrays.items():
            np.save(os.path.join(tmp_path, name + ".npy"), value)
        code = textwrap.dedent(f"""
            import sys, numpy as np, tensorflow as tf
            d = {str(tmp_path)!r}
            a = {{k: np.load(d + "/" + k + ".npy") for k in
                 ("z", "psi", "seeds", "ref", "ref_psi", "ref_seeded", "ref_w", "ref_mix")}}
            u8 = lambda x: np.rint((np.clip(x, -1, 1) + 1) * 127.5).astype(int)
            m = tf.saved_model.load({path!r})
            s = m.signatures
            z = tf.constant(a["z"])
            out = {{}}
            out["generate"] = np.abs(s["generate"](z=z)["images"].numpy() - a["ref"]).max()
            img = s["serving_default"](z=z, truncation_psi=tf.constant(a["psi"]))["images"]
            out["serve_dtype"] = str(img.dtype.name)
            out["serve"] = np.abs(img.numpy().astype(int) - u8(a["ref_psi"])).max()
            seeded = lambda: s["generate_seeded"](z=z, truncation_psi=tf.constant(a["psi"]),
                noise_seed=tf.constant(a["seeds"]))["images"].numpy().astype(int)
            first = seeded()
            out["seeded"] = np.abs(first - u8(a["ref_seeded"])).max()
            out["seeded_repeat"] = np.abs(first - seeded()).max()
            w = s["mapping"](z=z)["w"]
            out["mapping"] = np.abs(w.numpy() - a["ref_w"]).max()
            syn = s["synthesis"](w=w)["images"].numpy().astype(int)
            out["synthesis"] = np.abs(syn - u8(a["ref"])).max()
            mix = s["style_mixing"](z1=z, z2=z[::-1], crossover=tf.constant([0, 1, 99]))
            out["mix"] = np.abs(mix["images"].numpy().astype(int) - u8(a["ref_mix"])).max()
            try:
                s["serving_default"](z=z, truncation_psi=tf.constant([1.0, 1.5, np.nan]))
                out["psi_error"] = "none"
            except tf.errors.InvalidArgumentError as e:
                out["psi_error"] = "ok" if {PSI_MESSAGE!r} in str(e) and "1.5" in str(e) \\
                    else str(e)[:300]
            out["imported"] = "keras_gans" in sys.modules
            print(repr(out))
        """)
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                env=env, timeout=300, cwd=str(tmp_path))
        assert result.returncode == 0, result.stderr[-3000:]
        out = eval(result.stdout.strip().splitlines()[-1], {"np": np})  # noqa: S307
        assert out["imported"] is False, "the loading process imported keras_gans"
        assert out["generate"] < 1e-5 and out["mapping"] < 1e-5, out
        assert out["serve_dtype"] == "uint8", out
        for key in ("serve", "seeded", "synthesis", "mix"):
            assert out[key] <= 1, out
        assert out["seeded_repeat"] == 0, "the seeded endpoint is not a pure function"
        assert out["psi_error"] == "ok", out
