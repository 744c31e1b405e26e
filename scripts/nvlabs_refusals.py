"""The refused-file table of docs/nvlabs.md: every hostile or broken pickle and its one-line error.

Builds each case of `keras_gans.zoo.nvlabs.synthetic.hostile_pickles` (the
same files tests/zoo/nvlabs/hostile_test.py refuses; the truncated file is
the first half of `../shared/fixtures/nvlabs/sg2ada_A.pkl`), writes it to a
temporary folder, reads it with `read_snapshot`, and prints a markdown row:
case, exception, message (the path prefix dropped), and whether the sentinel
file the payload would create exists afterwards (it must not).

    python scripts/nvlabs_refusals.py [--fixtures DIR]

Deterministic (no randomness).
"""

import argparse
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "..", "shared", "fixtures", "nvlabs")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", default=FIXTURES)
    args = parser.parse_args()

    from keras_gans.zoo.nvlabs import synthetic
    from keras_gans.zoo.nvlabs.reader import read_snapshot

    fixture = os.path.join(args.fixtures, "sg2ada_A.pkl")
    valid = open(fixture, "rb").read() if os.path.isfile(fixture) else None
    with tempfile.TemporaryDirectory() as tmp:
        sentinel = os.path.join(tmp, "SENTINEL")
        print("| file | refused with | message | sentinel created |")
        print("|---|---|---|---|")
        failures = 0
        for case, data in synthetic.hostile_pickles(sentinel, valid).items():
            path = os.path.join(tmp, "snapshot.pkl")
            with open(path, "wb") as f:
                f.write(data)
            try:
                read_snapshot(path)
                kind, message = "NOT REFUSED", ""
                failures += 1
            except Exception as e:  # noqa: BLE001 - the table reports whatever was raised
                kind, message = type(e).__name__, str(e).removeprefix(f"{path}: ")
            created = os.path.exists(sentinel)
            failures += created
            message = message.replace("|", "\\|")
            print(f"| {case} | `{kind}` | {message} | {'YES' if created else 'no'} |")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
