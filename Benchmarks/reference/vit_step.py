"""One BYOL training step of ViT-Tiny in PyTorch (2 threads), the reference for nrcc-bench's
vit_tiny_byol_step.

timm's VisionTransformer (embed_dim 192, depth 12, 3 heads, patch 4, class token,
num_classes=0) on 32x32x3 inputs, batch 256, as nrcc's --backbone vit-tiny: two views through
the online backbone + projector + predictor (Linear-BN-ReLU-Linear, hidden 1024, output 256),
the target backbone + projector without gradient, the symmetric BYOL loss, backward, AdamW
(weight decay 0.05 on weight matrices, none on norms, biases, cls_token and pos_embed;
predictor at 10x), EMA of the target parameters. Run in fp32 and, where the CPU supports it,
under bfloat16 autocast. Prints JSON lines with the keys of the Swift benchmark, names
suffixed `_reference`.

    python3 vit_step.py [--repeats 2] [--dtypes fp32,bf16]

Needs timm (pip install timm; 1.0.31 measured).
"""
import argparse
import copy
import json
import os
import resource
import sys
import time

import torch
from timm.models.vision_transformer import VisionTransformer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from byol_step import byol_views_loss, head, optimize_and_follow  # noqa: E402
from modes import autocast  # noqa: E402

torch.set_num_threads(2)
torch.manual_seed(0)


def groups(modules, scale=1.0):
    decayed, exempt = [], []
    for module in modules:
        for name, parameter in module.named_parameters():
            last = name.split(".")[-1]
            (decayed if parameter.ndim >= 2 and last not in ("cls_token", "pos_embed") else exempt).append(parameter)
    lr = 5e-4 * scale
    return [{"params": decayed, "weight_decay": 0.05, "lr": lr}, {"params": exempt, "weight_decay": 0.0, "lr": lr}]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--dtypes", default="fp32,bf16")
    arguments = parser.parse_args()
    batch, hidden = 256, 1024
    backbone = VisionTransformer(img_size=32, patch_size=4, in_chans=3, num_classes=0, embed_dim=192, depth=12,
                                 num_heads=3, global_pool="token", class_token=True)
    projector = head(192, hidden, 256)
    predictor = head(256, hidden, 256)
    target_backbone = copy.deepcopy(backbone).requires_grad_(False)
    target_projector = copy.deepcopy(projector).requires_grad_(False)
    optimizer = torch.optim.AdamW(groups([backbone, projector]) + groups([predictor], 10.0))
    view_a = torch.randn(batch, 3, 32, 32)
    view_b = torch.randn(batch, 3, 32, 32)

    def step(dtype):
        with autocast(dtype):
            loss = byol_views_loss(backbone, projector, predictor, target_backbone, target_projector, view_a, view_b)
        return optimize_and_follow(optimizer, loss, [backbone, projector], [target_backbone, target_projector])

    for dtype in arguments.dtypes.split(","):
        try:
            step(dtype)
        except RuntimeError as error:  # bf16 autocast unsupported on this CPU or build
            print(json.dumps({"name": "vit_tiny_byol_step_reference", "mode": dtype, "error": str(error)[:200]}), flush=True)
            continue
        times, processor_times = [], []
        for _ in range(arguments.repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            loss = step(dtype)
            times.append(time.perf_counter() - start)
            processor_times.append(time.process_time() - start_cpu)
        seconds = sorted(times)[len(times) // 2] if len(times) % 2 else sum(sorted(times)[len(times) // 2 - 1:][:2]) / 2
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"name": "vit_tiny_byol_step_reference", "images_per_second": batch / seconds,
                          "batch": batch, "step_seconds": seconds, "loss": loss, "mode": dtype,
                          "cpu_seconds_per_step": sorted(processor_times)[len(processor_times) // 2],
                          "threads": torch.get_num_threads(), "torch": torch.__version__,
                          "peak_rss_mb": round(peak, 1)}, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
