"""What the translation presets' recipes share: train under a budget, then publish.

Used by scripts/train_pix2pix_fashion_edges.py and
scripts/train_cyclegan_sneaker2boot.py; the measurements come from
scripts/bench_translation.py's functions, so the cards and the benchmark
table are computed the same way.
"""

import json
import os
import time


def add_arguments(parser, out, batch_size):
    parser.add_argument("--out", default=out)
    parser.add_argument("--wall-minutes", type=float, default=40.0)
    parser.add_argument("--cpu-minutes", type=float, default=None,
                        help="total CPU-time budget (resumed runs add up; equal budgets make "
                             "two recipes comparable on a shared machine)")
    parser.add_argument("--batch-size", type=int, default=batch_size)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--steps-per-epoch", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1,
                        help="TensorFlow intra-op threads (the machine is shared)")
    parser.add_argument("--publish", action="store_true")
    parser.add_argument("--eval-limit", type=int, default=2000)
    parser.add_argument("--publish-only", action="store_true",
                        help="publish <out>/model.keras and <out>/training.json without training")


def budget_flags(args):
    """The budget options of this run, as the card's recipe line shows them."""
    flags = f"--wall-minutes {args.wall_minutes:g}"
    if args.cpu_minutes is not None:
        flags = f"--cpu-minutes {args.cpu_minutes:g} " + flags
    return flags


def run(args, preset, task_name, build, description, recipe, dataset_options=None,
        compile_kwargs=None):
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    import keras

    from keras_gans.callbacks import TimeBudget
    from keras_gans.data.translation_tasks import load_task

    os.makedirs(args.out, exist_ok=True)
    if args.publish_only:
        import keras_gans.models  # noqa: F401  (registers the classes)

        model = keras.saving.load_model(os.path.join(args.out, "model.keras"))
        with open(os.path.join(args.out, "training.json")) as f:
            training = {k: v for k, v in json.load(f).items() if k != "final_logs"}
        publish(args, preset, task_name, model, description, recipe, training)
        return
    keras.utils.set_random_seed(args.seed)
    task = load_task(task_name, "train")
    saved = os.path.join(args.out, "model.keras")
    before = {"wall_time_s": 0.0, "cpu_time_s": 0.0}
    if os.path.exists(saved):
        # Resume: the .keras file holds the weights, the optimizers and the
        # RNG step. The data start a fresh order (epoch key = 1 + the step), not
        # the uninterrupted run's continuation (this runs far less than a pass).
        import keras_gans.models  # noqa: F401

        model = keras.saving.load_model(saved)
        with open(os.path.join(args.out, "training.json")) as f:
            before.update({k: v for k, v in json.load(f).items()
                           if k in ("wall_time_s", "cpu_time_s")})
        print(f"resuming {saved} at step {int(model.g_optimizer.iterations.numpy())}",
              flush=True)
    else:
        model = build()
        model.compile(**(compile_kwargs() if compile_kwargs else {}))
    first_epoch = int(model.rng_step.numpy()) + (1 if os.path.exists(saved) else 0)
    ds = task.dataset(args.batch_size, repeat=True, seed=args.seed, epoch=first_epoch,
                      **(dataset_options or {}))
    budget = TimeBudget(wall_seconds=60.0 * args.wall_minutes,
                        cpu_seconds=None if args.cpu_minutes is None else 60.0 * args.cpu_minutes,
                        spent_cpu_seconds=before["cpu_time_s"])

    class Save(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            model.save(os.path.join(args.out, "model.keras"))

    cpu0, wall0 = time.process_time(), time.time()
    history = model.fit(ds, epochs=100000, steps_per_epoch=args.steps_per_epoch, verbose=2,
                        callbacks=[budget, Save(),
                                   keras.callbacks.CSVLogger(os.path.join(args.out, "log.csv"))])
    # Train steps, not optimizer updates (StarGAN v2 updates G twice per step).
    steps = int(model.rng_step.numpy())
    training = {"wall_time_s": round(before["wall_time_s"] + time.time() - wall0, 1),
                "cpu_time_s": round(before["cpu_time_s"] + time.process_time() - cpu0, 1),
                "steps": steps, "batch_size": args.batch_size,
                "images_seen": steps * args.batch_size,
                "budget": (f"{args.cpu_minutes:g} CPU-minutes" if args.cpu_minutes is not None
                           else "wall-time budgets (resumed runs add up)")
                          + f", {args.threads} intra-op thread(s) on the shared 2-core machine"}
    model.save(os.path.join(args.out, "model.keras"))
    with open(os.path.join(args.out, "training.json"), "w") as f:
        json.dump({**training, "final_logs": {k: v[-1] for k, v in history.history.items()}},
                  f, indent=1)
    print("trained:", training, flush=True)
    if args.publish:
        publish(args, preset, task_name, model, description, recipe, training)


def publish(args, preset, task_name, model, description, recipe, training):
    import bench_translation as bench
    from keras_gans.zoo.writer import write_preset

    rows = bench.measure_model(model, task_name, limit=args.eval_limit, seed=args.seed)
    grid = os.path.join(args.out, "grid.png")
    bench.write_grid(model, task_name, grid, n=8, seed=args.seed)
    metrics = {row["metric"]: {"value": row["value"], "protocol": row["protocol"],
                               **({"note": f"reference ({row['reference']}): "
                                           f"{row['reference_value']:.4g}"}
                                  if row.get("reference") else {})}
               for row in rows}
    kind = bench.task_kind(task_name)
    layout = {"paired": "input | output | target rows",
              "unpaired": "input | output | cycle reconstruction rows",
              "domains": "the input row, then its translation into each domain, one row each"}
    card = (f"Grid: {layout[kind]}. Numbers measured by "
            "`scripts/bench_translation.py`'s functions on the test split; the reference "
            "of each is in the notes (identity mapping or an L1-only model).")
    write_preset(preset, model, dataset=f"translation task {task_name} (Fashion-MNIST)",
                 resolution=model.resolution, description=description, recipe=recipe,
                 metrics=metrics, training=training, card=card, images={"grid.png": grid},
                 task="translation")
    print("published", preset, json.dumps(metrics, indent=1), flush=True)
