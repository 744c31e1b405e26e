"""The official NVIDIA networks `zoo.load(name)` can fetch and convert.

These rows are not shipped artifacts: the weights are NVIDIA's, downloaded
from NVIDIA's servers on first use (`keras.utils.get_file`) under NVIDIA's
non-commercial licences, read without executing anything
(`keras_gans.zoo.nvlabs.reader`) and converted once into the Keras models.
NVIDIA publishes no checksums, so the loader pins each file's sha256 on its
first download (trust on first use) and refuses a later mismatch.

URLs were checked against NVIDIA's own repositories (the stylegan2-ada-pytorch
README's data repository table; NVlabs/stylegan2 `pretrained_networks.py`,
which maps its old Google Drive names to `nvlabs-fi-cdn.nvidia.com`;
NVlabs/stylegan `pretrained_example.py`). Sizes are given only where a
source states them; `size_note` says where a size came from.

Example:

>>> from keras_gans.zoo.nvlabs.presets import OFFICIAL_PRESETS
>>> OFFICIAL_PRESETS["stylegan2_ada_cifar10"]["conditional"]
True
"""

_ADA = "https://nvlabs-fi-cdn.nvidia.com/stylegan2-ada-pytorch/pretrained"

_LICENCE_ADA = (
    "NVIDIA Source Code License for StyleGAN2-ADA "
    "(https://nvlabs.github.io/stylegan2-ada-pytorch/license.html): non-commercial use only "
    "(research or evaluation); the training data has its own non-commercial licence"
)
_LICENCE_SG2 = (
    "NVIDIA Source Code License-NC (https://nvlabs.github.io/stylegan2/license.html): "
    "non-commercial use only (research or evaluation)"
)
_LICENCE_SG1 = (
    "Creative Commons BY-NC 4.0 (https://creativecommons.org/licenses/by-nc/4.0/), "
    "as NVlabs/stylegan releases its networks: non-commercial use only, with attribution"
)
_UNSTATED = "not stated by NVIDIA; the first download prints it and pins it with the sha256"


def _ada(name, filename, dataset, resolution, description, conditional=False):
    return name, {
        "family": "stylegan2",
        "source": "nvidia",
        "format": "pytorch",
        "url": f"{_ADA}/{filename}",
        "filename": filename,
        "dataset": dataset,
        "resolution": resolution,
        "conditional": conditional,
        "size_bytes": None,
        "size_note": _UNSTATED,
        "licence": _LICENCE_ADA,
        "non_commercial": True,
        "description": description,
        "reference": "Karras et al. 2020, Training Generative Adversarial Networks with Limited "
        "Data (NVlabs/stylegan2-ada-pytorch)",
    }


_STYLEGAN_FFHQ = {
    "family": "stylegan",
    "source": "nvidia",
    "format": "tf",
    "url": "https://drive.google.com/uc?id=1MEGjdvVpUsu1jB4zrXZN7Y4kBBOzizDQ",
    "url_note": "the Google Drive link of NVlabs/stylegan's pretrained_example.py (the only "
    "official location confirmed here); Drive answers large downloads with a confirmation page, "
    "so an automatic download usually fails: download karras2019stylegan-ffhq-1024x1024.pkl in a "
    "browser and pass zoo.load('stylegan_ffhq', source=PATH)",
    "filename": "karras2019stylegan-ffhq-1024x1024.pkl",
    "dataset": "ffhq",
    "resolution": 1024,
    "conditional": False,
    "size_bytes": None,
    "size_note": "not stated by NVIDIA",
    "licence": _LICENCE_SG1,
    "non_commercial": True,
    "description": "StyleGAN (v1) trained by NVIDIA on FFHQ, 1024x1024, TF pickle "
    "(state version 3).",
    "reference": "Karras et al. 2019, A Style-Based Generator Architecture for GANs "
    "(NVlabs/stylegan)",
}

_STYLEGAN2_FFHQ = {
    "family": "stylegan2",
    "source": "nvidia",
    "format": "tf",
    "url": "https://nvlabs-fi-cdn.nvidia.com/stylegan2/networks/stylegan2-ffhq-config-f.pkl",
    "filename": "stylegan2-ffhq-config-f.pkl",
    "dataset": "ffhq",
    "resolution": 1024,
    "conditional": False,
    "size_bytes": 381673535,
    "size_note": "as pinned by a third-party script, not by NVIDIA; the loader pins its own "
    "sha256 on first download",
    "licence": _LICENCE_SG2,
    "non_commercial": True,
    "description": "StyleGAN2 config-f trained by NVIDIA on FFHQ, 1024x1024, TF pickle "
    "(state version 4).",
    "reference": "Karras et al. 2020, Analyzing and Improving the Image Quality of StyleGAN "
    "(NVlabs/stylegan2)",
}

#: name -> row. Fields: family (the Keras family the converter builds), source,
#: format ("tf" or "pytorch" pickle), url, filename, dataset, resolution,
#: conditional, size_bytes (None when unknown) and size_note, licence,
#: non_commercial, description, reference, and optionally url_note.
OFFICIAL_PRESETS = dict(
    [
        ("stylegan_ffhq", _STYLEGAN_FFHQ),
        ("stylegan2_ffhq", _STYLEGAN2_FFHQ),
        _ada("stylegan2_ada_ffhq", "ffhq.pkl", "ffhq", 1024,
             "StyleGAN2 FFHQ 1024x1024 as released with stylegan2-ada-pytorch (trained with the "
             "original StyleGAN2 setup), PyTorch pickle."),
        _ada("stylegan2_ada_metfaces", "metfaces.pkl", "metfaces", 1024,
             "StyleGAN2-ADA MetFaces 1024x1024, transfer learning from FFHQ with ADA, PyTorch "
             "pickle."),
        _ada("stylegan2_ada_afhqcat", "afhqcat.pkl", "afhq_cat", 512,
             "StyleGAN2-ADA AFHQ Cat 512x512, trained from scratch with ADA, PyTorch pickle."),
        _ada("stylegan2_ada_afhqdog", "afhqdog.pkl", "afhq_dog", 512,
             "StyleGAN2-ADA AFHQ Dog 512x512, trained from scratch with ADA, PyTorch pickle."),
        _ada("stylegan2_ada_afhqwild", "afhqwild.pkl", "afhq_wild", 512,
             "StyleGAN2-ADA AFHQ Wild 512x512, trained from scratch with ADA, PyTorch pickle."),
        _ada("stylegan2_ada_brecahad", "brecahad.pkl", "brecahad", 512,
             "StyleGAN2-ADA BreCaHAD 512x512 (histopathology), trained from scratch with ADA, "
             "PyTorch pickle."),
        _ada("stylegan2_ada_cifar10", "cifar10.pkl", "cifar10", 32,
             "StyleGAN2-ADA class-conditional CIFAR-10 32x32 (10 classes: generate(z, "
             "labels=...)), PyTorch pickle.", conditional=True),
    ]
)


def official_preset(name):
    """The row of an official NVIDIA preset (a copy), or None."""
    row = OFFICIAL_PRESETS.get(name)
    return None if row is None else dict(row)
