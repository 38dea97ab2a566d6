"""Per-frame classification time through the C ABI (``cpp/benchmarks/bench_c_abi.c``).

Builds the C benchmark with CMake into ``build/bench-c-abi`` when needed, runs it on the
ML Kit samples and on a 50,000-sample set made by jittering them, and prints its table.

    python benchmarks/bench_c_abi.py [--samples PATH] [--synthetic 50000] [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CSV = REPO.parent / "shared" / "data" / "mlkit" / "fitness_pose_samples.csv"


def build(build_dir: Path) -> Path:
    cmake = shutil.which("cmake")
    if cmake is None:
        sys.exit("cmake is not installed")
    subprocess.run(
        [cmake, "-S", str(REPO), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release",
         "-DPYENGINE_BUILD_PYTHON=OFF", "-DPYENGINE_BUILD_TESTS=OFF",
         "-DPYENGINE_BUILD_EXAMPLES=OFF", "-DPYENGINE_BUILD_BENCHMARKS=ON"],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    subprocess.run(
        [cmake, "--build", str(build_dir), "--target", "bench_c_abi",
         "-j", os.environ.get("JOBS", "2")],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return build_dir / "cpp" / "benchmarks" / "bench_c_abi"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--synthetic", type=int, default=50_000)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--build-dir", type=Path, default=REPO / "build" / "bench-c-abi")
    args = parser.parse_args()
    if not args.samples.is_file():
        sys.exit(f"{args.samples} not found")
    exe = build(args.build_dir)
    subprocess.run(
        [str(exe), str(args.samples), str(args.synthetic), str(args.seconds)], check=True
    )


if __name__ == "__main__":
    main()
