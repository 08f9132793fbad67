"""Summarise a py-spy "raw" profile (``bench/fanout.py --profile``): where the samples go.

``python -m bench.hotspots FILE [--top 25] [--match TEXT]`` prints the frames with the
most samples inclusive (a frame counted once per stack) and exclusive (the leaf), as a
share of all samples; ``--match`` keeps only the stacks that pass through a frame
containing TEXT (e.g. ``realtime/`` or ``autobahn``).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path


def read(path: Path, match: str | None = None) -> tuple[list[tuple[list[str], int]], int]:
    """Return the stacks (root first) with their sample counts, and the total samples."""
    stacks: list[tuple[list[str], int]] = []
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        total += int(count)
        frames = stack.split(";")
        if match is None or any(match in frame for frame in frames):
            stacks.append((frames, int(count)))
    return stacks, total


def summarise(stacks: list[tuple[list[str], int]]) -> tuple[Counter[str], Counter[str]]:
    """Return the samples per frame inclusive (once per stack) and exclusive (leaf)."""
    inclusive: Counter[str] = Counter()
    exclusive: Counter[str] = Counter()
    for frames, count in stacks:
        for frame in set(frames):
            inclusive[frame] += count
        exclusive[frames[-1]] += count
    return inclusive, exclusive


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", default=None)
    args = parser.parse_args(argv)
    stacks, total = read(args.file, args.match)
    kept = sum(count for _, count in stacks)
    inclusive, exclusive = summarise(stacks)
    print(f"{args.file}: {total} samples, {kept} kept ({100 * kept / max(1, total):.1f} %)")
    for title, counter in (("inclusive", inclusive), ("exclusive", exclusive)):
        print(f"\n{title}:")
        for frame, count in counter.most_common(args.top):
            print(f"  {100 * count / max(1, total):5.1f} %  {frame[:150]}")


if __name__ == "__main__":
    main()
