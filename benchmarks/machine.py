"""What machine a benchmark ran on (shared by the scripts of this folder)."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def nproc() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def print_machine(work_dir: Path, label: str, versions: list[tuple[str, str]]) -> None:
    """Print the machine, the versions that matter to the figures, the work directory's file
    system and the load at start (warning when the machine is busy)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    mounts = subprocess.run(
        ["df", "-hT", str(work_dir)], capture_output=True, text=True, check=False
    ).stdout.splitlines()[-1:]
    print("Machine")
    print(f"  platform     {platform.platform()}")
    print(f"  cpu          {cpu_model()}")
    print(f"  nproc        {nproc()}")
    print(f"  python       {platform.python_version()}")
    for name, version in versions:
        print(f"  {name:<12} {version}")
    print(f"  {label:<12} {work_dir} ({' '.join(mounts[0].split()[:2]) if mounts else '?'})")
    load = os.getloadavg()
    print(f"  load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start")
    if load[0] > 0.5 * nproc():
        print("  WARNING: the machine is busy; figures will be lower and noisier than alone.")
