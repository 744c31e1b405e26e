"""The demo page in a real headless browser (Debian's chromium, driven by playwright).

The page loads, a click on "Sample" shows images whose pixels change with the
seed (and equal the SavedModel's output), a truncation psi out of range and a
wrong upload show the error message, the style-mixing grid and the upload
path work. Under CI (`CI` set) a missing chromium or playwright FAILS: `.ci/run`
installs both. Set `KERAS_GANS_DEMO_SCREENSHOT=docs/demo.png` to write the
README's screenshot.
"""

import os
import shutil

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_gans.utils.images import make_grid

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def require_browser():
    problem = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problem = "playwright is not installed (pip install -e '.[tests]')"
    if problem is None and not os.path.exists(CHROMIUM):
        problem = f"chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"The browser test must run under CI: {problem}.")
        pytest.skip(problem)


@pytest.fixture(scope="module")
def page(demo_server, tmp_path_factory):
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM,
            headless=True, args=ARGS, viewport={"width": 1100, "height": 760})
        page = context.new_page()
        page.set_default_timeout(30000)
        page.goto(demo_server)
        page.wait_for_selector("body[data-ready='1']")
        yield page
        context.close()


def output_after(page, button, previous):
    """Clicks `button` and returns the new #output image (numpy)."""
    page.click(button)
    page.wait_for_function(
        "prev => { const i = document.getElementById('output');"
        " return !i.hidden && i.src && i.src !== prev; }", arg=previous)
    return page.get_attribute("#output", "src")


def test_page_loads_with_the_models(page):
    assert page.title() == "keras-gans demo"
    options = page.eval_on_selector_all("#model option", "os => os.map(o => o.value)")
    assert options == ["dcgan_fashion_mnist", "inverter", "stylegan2_fashion_mnist"]
    assert page.is_visible("#sample") and not page.is_visible("#error")


def test_sample_pixels_change_with_the_seed(page, demo_paths, decode):
    page.select_option("#model", "dcgan_fashion_mnist")
    assert not page.is_visible("#psi-row") and not page.is_visible("#style")
    page.fill("#batch", "4")
    page.fill("#seed", "0")
    first = output_after(page, "#sample", page.get_attribute("#output", "src") or "")
    page.fill("#seed", "1")
    second = output_after(page, "#sample", first)
    a, b = decode(first), decode(second)
    assert a.shape == b.shape == (2 * 28 + 3 * 2, 2 * 28 + 3 * 2)
    assert np.abs(a.astype(int) - b.astype(int)).mean() > 5
    # What the page shows is the SavedModel's output for the seed's latents.
    latest = max((v for v in os.listdir(demo_paths[0]) if v.isdigit()), key=int)
    sig = tf.saved_model.load(os.path.join(demo_paths[0], latest)).signatures["serving_default"]
    images = sig(z=tf.constant(np.random.default_rng(1).standard_normal((4, 100)),
                               tf.float32))["images"].numpy()
    np.testing.assert_array_equal(b, make_grid(images, pad_value=255)[..., 0])
    assert page.text_content("#caption") == "4 samples, seed 1"


def test_style_model_truncation_and_mixing(page, decode):
    page.select_option("#model", "stylegan2_fashion_mnist")
    assert page.is_visible("#psi-row") and page.is_visible("#mix")
    page.fill("#batch", "16")
    page.fill("#seed", "2")
    page.fill("#psi", "0.7")
    shown = output_after(page, "#sample", page.get_attribute("#output", "src"))
    assert decode(shown).shape == (4 * 32 + 5 * 2, 4 * 32 + 5 * 2)
    assert not page.is_visible("#error") and not page.is_visible("#input-figure")
    screenshot = os.environ.get("KERAS_GANS_DEMO_SCREENSHOT")
    if screenshot:
        page.screenshot(path=screenshot)
    page.fill("#psi", "1.5")
    page.click("#sample")
    page.wait_for_selector("#error:not([hidden])")
    assert "truncation psi must be in [0, 1]" in page.text_content("#error")
    assert "got 1.5" in page.text_content("#error")
    mixed = output_after(page, "#mix", shown)
    assert decode(mixed).shape == (4 * 32 + 5 * 2, 4 * 32 + 5 * 2)  # 3x3 seeds + sources
    assert not page.is_visible("#error")


def test_translation_upload_and_wrong_file(page, tmp_path, decode):
    page.select_option("#model", "inverter")
    assert page.is_visible("#translation") and not page.is_visible("#sampling")
    source = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    png = tmp_path / "in.png"
    Image.fromarray(source).save(png)
    page.set_input_files("#upload", str(png))
    out = output_after(page, "#translate", page.get_attribute("#output", "src"))
    np.testing.assert_array_equal(decode(out), 255 - source)
    wrong = tmp_path / "notes.txt"
    wrong.write_text("not an image")
    page.set_input_files("#upload", str(wrong))
    page.click("#translate")
    page.wait_for_selector("#error:not([hidden])")
    assert "not an image" in page.text_content("#error")
