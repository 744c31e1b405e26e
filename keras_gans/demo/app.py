"""The demo's web app (FastAPI): a static page and a JSON API over the SavedModels."""

import base64
import io
import os

from typing import Any

import numpy as np

from keras_gans.demo.models import DemoInputError

STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
MAX_UPLOAD_BYTES = 4 * 1024 * 1024


def png_data_url(images, rows=None):
    """uint8 images `(N, H, W, C)` as one grid PNG `data:` URL (or one image for N=1)."""
    from PIL import Image

    from keras_gans.utils.images import make_grid

    images = np.asarray(images)
    grid = images[0] if len(images) == 1 else make_grid(images, rows=rows, pad_value=255)
    if grid.shape[-1] == 1:
        grid = grid[..., 0]
    buf = io.BytesIO()
    Image.fromarray(grid).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def create_app(models):
    """A FastAPI app serving `models` (`{name: DemoModel}`, see `load_models`).

    Routes: `GET /` (the page), `GET /api/models`, `POST /api/sample`,
    `POST /api/mix`, `POST /api/walk` (JSON bodies), `POST /api/translate`
    (multipart upload). Refused inputs answer 400 with `{"detail": message}`.
    """
    from fastapi import FastAPI, File, Form, HTTPException, UploadFile
    from fastapi.responses import FileResponse, JSONResponse
    from fastapi.staticfiles import StaticFiles
    from pydantic import BaseModel

    app = FastAPI(title="keras-gans demo", docs_url=None, redoc_url=None)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    def model_or_404(name):
        if name not in models:
            raise HTTPException(404, f"No model {name!r}; served: {', '.join(sorted(models))}.")
        return models[name]

    @app.exception_handler(DemoInputError)
    async def refused(request, exc):
        return JSONResponse(status_code=400, content={"detail": str(exc)})

    class SampleRequest(BaseModel):
        model: str
        seed: Any = 0
        batch: Any = 8
        truncation_psi: Any = 1.0
        label: Any = None

    class MixRequest(BaseModel):
        model: str
        row_seeds: Any = "1 2 3"
        col_seeds: Any = "4 5 6"
        crossover: Any = 4

    class WalkRequest(BaseModel):
        model: str
        seed_from: Any = 0
        seed_to: Any = 1
        steps: Any = 8
        space: str = "z"

    @app.get("/")
    def index():
        return FileResponse(os.path.join(STATIC_DIR, "index.html"))

    @app.get("/api/models")
    def list_models():
        return [m.describe() for _, m in sorted(models.items())]

    @app.post("/api/sample")
    def sample(req: SampleRequest):
        images = model_or_404(req.model).sample(req.seed, req.batch, req.truncation_psi,
                                                req.label)
        return {"image": png_data_url(images), "count": len(images),
                "shape": list(images.shape[1:])}

    @app.post("/api/mix")
    def mix(req: MixRequest):
        cells, rows = model_or_404(req.model).mix(req.row_seeds, req.col_seeds, req.crossover)
        return {"image": png_data_url(cells, rows=rows), "count": len(cells)}

    @app.post("/api/walk")
    def walk(req: WalkRequest):
        frames = model_or_404(req.model).walk(req.seed_from, req.seed_to, req.steps, req.space)
        return {"image": png_data_url(frames, rows=1), "count": len(frames)}

    @app.post("/api/translate")
    async def translate(model: str = Form(...), file: UploadFile = File(...),
                        target_domain: str = Form("0"), seed: str = Form("0")):
        m = model_or_404(model)
        data = await file.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            raise DemoInputError(f"The upload is larger than {MAX_UPLOAD_BYTES // 2**20} MiB.")
        source, out = m.translate(data, target_domain, seed)
        return {"input": png_data_url(source), "image": png_data_url(out)}

    return app
