"""PyTorch's four CPU modes for the step references (byol_step.py, nrcc_step.py): fp32,
channels-last fp32, bf16 autocast, and bf16 autocast with channels-last. nrcc is compared
with the fastest of them on the CPU at hand, not with PyTorch's default.

Each mode runs in a process of its own, so that its peak memory is its own (this module only
defines; run as a script, as `make bench-reference` runs every script here, it does nothing):

    python3 byol_step.py                                  # all four, then the fastest
    python3 byol_step.py --modes fp32,channels_last       # where bf16 is emulated and slow
"""
import argparse
import contextlib
import json
import subprocess
import sys

import torch

MODES = ("fp32", "channels_last", "bf16", "bf16_channels_last")


def arguments(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--modes", default=",".join(MODES),
                        help="comma-separated modes, each run in its own process (default: all four)")
    parser.add_argument("--mode", choices=MODES, help="run this one mode in this process")
    parser.add_argument("--repeats", type=int, default=5, help="timed steps after one warm-up (default 5)")
    parsed = parser.parse_args()
    for mode in parsed.modes.split(","):
        if mode not in MODES:
            parser.error(f"unknown mode {mode!r}: expected some of {', '.join(MODES)}")
    return parsed


def prepare(mode, modules, tensors):
    """Puts the modules and the input tensors in the mode's memory format."""
    if mode.endswith("channels_last"):
        for module in modules:
            module.to(memory_format=torch.channels_last)
        tensors = [t.contiguous(memory_format=torch.channels_last) for t in tensors]
    return tensors


def autocast(mode):
    """The context a step's forward passes and losses run in."""
    if mode.startswith("bf16"):
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def run_modes(script, parsed, name):
    """Runs `script --mode m` for every requested mode, passes its lines through, and prints
    `<name>_fastest`: the mode whose step was fastest, the one nrcc's ratio is taken against."""
    timings = {}
    for mode in parsed.modes.split(","):
        process = subprocess.Popen([sys.executable, script, "--mode", mode, "--repeats", str(parsed.repeats)],
                                   stdout=subprocess.PIPE, text=True)
        for line in process.stdout:
            print(line, end="", flush=True)
            record = json.loads(line)
            if record.get("name") == name:
                timings[mode] = record
        if process.wait() != 0:
            sys.exit(f"{script} --mode {mode} failed with status {process.returncode}")
    fastest = min(timings, key=lambda mode: timings[mode]["step_seconds"])
    print(json.dumps({**timings[fastest], "name": name + "_fastest", "modes_compared": sorted(timings)},
                     sort_keys=True), flush=True)
