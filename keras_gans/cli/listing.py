"""`keras-gans zoo list|info` and `keras-gans families`: plain JSON and a static
table, no TensorFlow (they answer in a fraction of a second)."""

import json

from keras_gans.cli.app import CommandError
from keras_gans.cli.families_table import FAMILY_TABLE, family_lines

#: The metric shown in `zoo list`, by preference; the first one present is used.
HEADLINE_METRICS = ("fid10k_test", "test_accuracy", "intra_fid10k_test")


def _short(value):
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def headline(row):
    """`("fid10k_test", "3.87", "0.106")`: the preset's main metric, its value and floor."""
    metrics = row.get("metrics") or {}
    name = next((m for m in HEADLINE_METRICS if m in metrics), next(iter(metrics), None))
    if name is None:
        return None, "", ""
    record = metrics[name]
    if not isinstance(record, dict):
        return name, _short(record), ""
    value, floor = record.get("value"), record.get("floor")
    if isinstance(value, dict):
        key = next(iter(value))
        value = value[key]
        floor = floor.get(key) if isinstance(floor, dict) else floor
    return name, _short(value), "" if floor is None else _short(floor)


def preset_rows():
    """Every listed preset as a dict: shipped rows, NVIDIA's official networks (fetched
    and converted on first use), then the announced unavailable ones."""
    from keras_gans import zoo
    from keras_gans.zoo import presets as zoo_presets

    rows = []
    table = zoo.read_table()
    for name in sorted(table):
        row = table[name]
        metric, value, floor = headline(row)
        rows.append({"name": name, "family": row.get("family"), "dataset": row.get("dataset"),
                     "resolution": row.get("resolution"), "metric": metric, "value": value,
                     "floor": floor,
                     "availability": "remote" if row.get("urls") else "shipped"})
    official = zoo_presets.official_presets()
    for name in sorted(set(official) - set(table)):
        row = official[name]
        # NVIDIA's networks: downloaded and converted on first use, no measured metric here.
        rows.append({"name": name, "family": row.get("family"), "dataset": row.get("dataset"),
                     "resolution": row.get("resolution"), "metric": None, "value": "",
                     "floor": "", "availability": "download*"})
    for name in sorted(set(zoo.UNAVAILABLE) - set(table) - set(official)):
        rows.append({"name": name, "family": name.split("_")[0], "dataset": "", "resolution":
                     None, "metric": None, "value": "", "floor": "",
                     "availability": "unavailable"})
    return rows


def zoo_table(rows, width=100):
    """The `zoo list` table: one line per preset, at most `width` columns."""
    header = (f"{'name':26} {'family':10} {'dataset':14} {'res':>4}  "
              f"{'headline metric (floor)':28} availability")
    lines = [header, "-" * min(width, len(header))]
    for r in rows:
        metric = ""
        if r["metric"]:
            metric = f"{r['metric']} {r['value']}" + (f" ({r['floor']})" if r["floor"] else "")
        line = (f"{r['name'][:26]:26} {str(r['family'])[:10]:10} {str(r['dataset'])[:14]:14} "
                f"{str(r['resolution'] or ''):>4}  {metric[:28]:28} {r['availability']}")
        lines.append(line[:width])
    lines.append("")
    if any(r["availability"] == "download*" for r in rows):
        lines.append("* NVIDIA's network, downloaded and converted on first use; non-commercial "
                     "licence.")
    lines.append("Every metric with its protocol, licences, reasons: `keras-gans zoo info NAME`.")
    return lines


def metric_summary(name, record):
    """`fid10k_test: fid=3.87 (floor fid=0.1064) [protocol note]` for `zoo info`."""
    from keras_gans.zoo.writer import format_values

    if not isinstance(record, dict):
        return f"{name}: {format_values(record)}"
    text = f"{name}: {format_values(record.get('value'))}"
    if record.get("floor"):
        text += f" (floor {format_values(record['floor'])})"
    if record.get("note"):
        text += f" [{record['note']}]"
    return text


def zoo(args):
    from keras_gans import zoo as kg_zoo

    if args.action == "list":
        rows = preset_rows()
        if args.json:
            print(json.dumps(rows, indent=1))
        else:
            print("\n".join(zoo_table(rows)))
        return 0
    if not args.name:
        raise CommandError("`keras-gans zoo info` needs a preset name; list them with "
                           "`keras-gans zoo list`.")
    row = kg_zoo.get_preset(args.name)  # ValueError with close matches, or why unavailable
    if args.json:
        print(json.dumps(row, indent=1))
        return 0
    print(f"{args.name}: {row.get('description', '')}")
    for key in ("family", "task", "dataset", "resolution", "recipe", "eval_preprocess",
                "source", "format", "url", "reference", "licence"):
        if row.get(key) is not None:
            print(f"  {key}: {row[key]}")
    for key, value in (row.get("training") or {}).items():
        print(f"  training {key}: {value}")
    for name, record in (row.get("metrics") or {}).items():
        print(f"  {metric_summary(name, record)}")
    if row.get("savedmodel"):
        print(f"  SavedModel: {row['savedmodel']['path']}")
    print("  (all fields: `keras-gans zoo info NAME --json`)")
    return 0


def families(args):
    if args.json:
        print(json.dumps([{"key": k, "class": c, "takes_labels": cond, "description": d}
                          for k, (c, cond, d) in sorted(FAMILY_TABLE.items())], indent=1))
    else:
        print("\n".join(family_lines()))
    return 0
