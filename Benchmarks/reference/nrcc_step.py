"""One BYOL + NRCC training step in PyTorch (2 threads), the reference for nrcc-bench's
nrcc_step: the same network and batch as byol_step.py (ResNet-18 width 16, CIFAR stem,
28x28x1, batch 256), plus SPEC section 3's SGHMC views (one step through the frozen target
backbone, batch statistics without running-statistics updates, gradient clamp) and the
paper preset's regularizer (tau_r 0.1, beta 1, symmetric, w^c from the target).

BYOL and BYOL + NRCC steps alternate; the ratio of their medians is the figure to compare
with the Swift one. Prints JSON lines with the same keys as the Swift benchmark, one per mode
(fp32, channels-last, bf16 autocast, bf16 autocast + channels-last; modes.py), then the
fastest NRCC step.

    python3 nrcc_step.py [--modes fp32,channels_last,bf16,bf16_channels_last] [--repeats 5]
"""
import contextlib
import json
import os
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from byol_step import byol, byol_setup, optimize_and_follow  # noqa: E402  (the BYOL reference's networks)
from modes import arguments, autocast, prepare, run_modes  # noqa: E402

torch.set_num_threads(2)
torch.manual_seed(0)


@contextlib.contextmanager
def frozen_statistics(module):
    """Batch statistics, running statistics and batch counters left untouched."""
    norms = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [(m.momentum, m.num_batches_tracked.clone()) for m in norms]
    for m in norms:
        m.momentum = 0.0
    try:
        yield
    finally:
        for m, (momentum, tracked) in zip(norms, saved):
            m.momentum = momentum
            m.num_batches_tracked.copy_(tracked)


def sghmc_views(seeds, reference, backbone, d1=0.1, d2=0.05, d3=0.99, steps=1):
    reference = F.normalize(reference, dim=1)
    x, p = seeds.clone(), torch.randn_like(seeds)
    for _ in range(steps):
        x = x.detach().requires_grad_(True)
        with frozen_statistics(backbone):
            features = F.normalize(backbone(x), dim=1)
        energy = torch.log(1 / (1 + (features @ reference.T) ** 2)).sum()
        g, = torch.autograd.grad(energy, x)
        p = (1 - d1) * p - d2 * g.clamp(-1, 1) + d3 * torch.randn_like(p)
        x = x.detach() + d2 * p
    return x.detach()


def regularizer(anchors, contrast, others, tau=0.1, beta=1.0):
    wc = F.normalize(contrast, dim=1)
    terms = []
    for u, w in zip(anchors, others):
        u, w = F.normalize(u, dim=1), F.normalize(w, dim=1)
        terms.append((torch.logsumexp(u @ wc.T / tau, 1) - beta * torch.logsumexp(u @ w.T / tau, 1)).mean())
    return sum(terms) / len(terms)


def step_in_mode(mode, repeats):
    batch, width, hidden = 256, 16, 1024
    (backbone, projector, predictor, target_backbone, target_projector, optimizer,
     view_a, view_b) = byol_setup(batch, width, hidden)
    view_a, view_b = prepare(mode, [backbone, target_backbone], [view_a, view_b])

    def step(nrcc):
        with autocast(mode):
            loss = forward(nrcc)
        return optimize_and_follow(optimizer, loss, [backbone, projector], [target_backbone, target_projector])

    def forward(nrcc):
        with torch.no_grad():
            features_a, features_b = target_backbone(view_a), target_backbone(view_b)
            target_a, target_b = target_projector(features_a), target_projector(features_b)
        if nrcc:
            views = sghmc_views(view_a, features_b, target_backbone)
            with torch.no_grad(), frozen_statistics(target_backbone), frozen_statistics(target_projector):
                contrast = target_projector(target_backbone(views))
        z_a, z_b = projector(backbone(view_a)), projector(backbone(view_b))
        loss = (byol(predictor(z_a), target_b) + byol(predictor(z_b), target_a)) * 0.5
        if nrcc:
            loss = loss + 0.1 * regularizer([z_a, z_b], contrast, [target_b, target_a])
        return loss

    step(False)
    step(True)
    times = {False: [], True: []}
    losses = {}
    for _ in range(repeats):
        for nrcc in (False, True):
            start = time.perf_counter()
            losses[nrcc] = step(nrcc)
            times[nrcc].append(time.perf_counter() - start)
    byol_seconds = sorted(times[False])[repeats // 2]
    nrcc_seconds = sorted(times[True])[repeats // 2]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"name": "nrcc_step_reference", "images_per_second": batch / nrcc_seconds, "batch": batch,
                      "step_seconds": nrcc_seconds, "ratio_to_byol_step": nrcc_seconds / byol_seconds,
                      "byol_step_seconds": byol_seconds, "loss": losses[True], "preset": "paper", "mode": mode,
                      "threads": torch.get_num_threads(), "peak_rss_mb": round(peak, 1)}, sort_keys=True), flush=True)


if __name__ == "__main__":
    parsed = arguments(__doc__)
    if parsed.mode:
        step_in_mode(parsed.mode, parsed.repeats)
    else:
        run_modes(os.path.abspath(__file__), parsed, "nrcc_step_reference")
