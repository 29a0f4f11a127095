"""Do two runs of the agent benchmark hold the same answers? For a change that must not change behaviour (a
refactor), or one past the LM measured by replaying recorded replies (`bench_agent --replay`).

    python -m bench.same_answers NEW_FOLDER REFERENCE_FOLDER [REFERENCE_FOLDER ...]

Each (set, system, question) row of NEW_FOLDER that a reference folder also holds is compared on its answer text,
short answer and cited passages; every difference is printed, then the count. Exit status 1 if any differ.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

Key = tuple[str, str, str]


def rows(folder: Path) -> dict[Key, dict[str, Any]]:
    found: dict[Key, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                found[(row["set"], row["system"], row["id"])] = row
    return found


def differences(new: dict[Key, dict[str, Any]], reference: dict[Key, dict[str, Any]]) -> tuple[list[str], int]:
    """What differs, one paragraph per row, and how many rows were compared."""
    said, compared = [], 0
    for key, row in new.items():
        if key not in reference:
            continue
        compared += 1
        was = reference[key]
        if (row["answer"], row["short"], row["cited"]) != (was["answer"], was["short"], was["cited"]):
            said.append(
                f"{' '.join(key)}\n  was: {was['short']!r} | {was['answer'][:300]} {was['cited']}"
                f"\n  now: {row['short']!r} | {row['answer'][:300]} {row['cited']}"
            )
    return said, compared


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("new", type=Path)
    parser.add_argument("reference", type=Path, nargs="+")
    args = parser.parse_args()
    reference: dict[Key, dict[str, Any]] = {}
    for folder in args.reference:
        reference.update(rows(folder))
    new = rows(args.new)
    said, compared = differences(new, reference)
    print("\n".join(said))
    print(f"{compared - len(said)} of {compared} compared answers are the same ({len(new)} rows in {args.new})")
    sys.exit(1 if said else 0)


if __name__ == "__main__":
    main()
