"""Image grids and files."""

import math

import numpy as np

from keras_gans.utils.files import atomic_path


def make_grid(images, rows=None, padding=2, pad_value=0):
    """Tiles uint8 images (N, H, W, C) into one (rows*H, cols*W, C) image.

    Example:

    >>> import numpy as np
    >>> make_grid(np.zeros((6, 4, 4, 1), np.uint8), rows=2, padding=0).shape
    (8, 12, 1)
    """
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"images must be (N, H, W, C); got shape {images.shape}.")
    n, h, w, c = images.shape
    rows = rows or int(math.floor(math.sqrt(n)))
    rows = max(1, min(rows, n))
    cols = int(math.ceil(n / rows))
    grid = np.full((rows * h + (rows + 1) * padding, cols * w + (cols + 1) * padding, c),
                   pad_value, dtype=images.dtype)
    for i in range(n):
        r, col = divmod(i, cols)
        y = padding + r * (h + padding)
        x = padding + col * (w + padding)
        grid[y:y + h, x:x + w] = images[i]
    return grid


def save_image(array, path, scale=1):
    """Saves a uint8 (H, W, C) array as PNG atomically; `scale` enlarges it."""
    from PIL import Image

    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise ValueError(f"save_image expects uint8; got {array.dtype}.")
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    image = Image.fromarray(array)
    if scale != 1:
        image = image.resize((image.width * scale, image.height * scale), Image.NEAREST)
    with atomic_path(path) as tmp:
        image.save(tmp, format="PNG")
    return path


def save_grid(images, path, rows=None, scale=2):
    """Saves uint8 images as one PNG grid."""
    return save_image(make_grid(images, rows=rows), path, scale=scale)


def save_strip(frames, path, scale=2, gif_path=None, duration_ms=80):
    """Saves uint8 frames `(n, H, W, C)` as one PNG strip (and a GIF).

    Returns the PNG path. The GIF loops forward and back (pillow).
    """
    frames = np.asarray(frames)
    if path is not None:
        save_image(make_grid(frames, rows=1, padding=1), path, scale=scale)
    if gif_path is not None:
        from PIL import Image

        pictures = []
        for frame in list(frames) + list(frames[-2:0:-1]):
            array = frame[..., 0] if frame.shape[-1] == 1 else frame
            image = Image.fromarray(array)
            if scale != 1:
                image = image.resize((image.width * scale, image.height * scale), Image.NEAREST)
            pictures.append(image)
        with atomic_path(gif_path) as tmp:
            pictures[0].save(tmp, format="GIF", save_all=True, append_images=pictures[1:],
                             duration=duration_ms, loop=0)
    return path


def style_mixing_figure(grid, padding=2, background=255):
    """Lays out a `mix_styles` grid `(rows + 1, cols + 1, H, W, C)` as one image.

    As in StyleGAN's figure 3: the top row shows the column sources, the left
    column the row sources, the top-left cell is blank.
    """
    grid = np.asarray(grid)
    r, c = grid.shape[:2]
    cells = grid.reshape((r * c,) + grid.shape[2:]).copy()
    cells[0] = background
    return make_grid(cells, rows=r, padding=padding, pad_value=background)


def save_style_mixing_figure(grid, path, scale=2):
    """Saves a `mix_styles` grid as a PNG laid out like StyleGAN's figure 3."""
    return save_image(style_mixing_figure(grid), path, scale=scale)
