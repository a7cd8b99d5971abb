"""One BYOL training step in PyTorch (2 threads), the reference for nrcc-bench's byol_step.

ResNet-18 width 16 with the CIFAR stem, 28x28x1 inputs, batch 256: two views through the
online backbone + projector + predictor, the target backbone + projector without gradient,
the symmetric BYOL loss, backward, SGD (momentum 0.9, weight decay 5e-4, predictor at 10x),
EMA of the target parameters. Then forward + backward of each 3x3 convolution shape of that
network, as nrcc-bench's conv figures. Prints JSON lines with the same keys as the Swift
benchmark, names suffixed `_reference`, each with its mode: fp32, channels-last, bf16 autocast
and bf16 autocast + channels-last, one process each (modes.py), then the fastest step.

    python3 byol_step.py [--modes fp32,channels_last,bf16,bf16_channels_last] [--repeats 5]
"""
import copy
import json
import os
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from modes import arguments, autocast, prepare, run_modes  # noqa: E402

torch.set_num_threads(2)
torch.manual_seed(0)


class BasicBlock(nn.Module):
    def __init__(self, inputs, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inputs != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inputs, planes, 1, stride, bias=False),
                                            nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet18(nn.Module):
    def __init__(self, width=16, channels=1):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        layers, inputs = [], width
        for index in range(4):
            planes = width << index
            stride = 1 if index == 0 else 2
            layers.append(nn.Sequential(BasicBlock(inputs, planes, stride), BasicBlock(planes, planes, 1)))
            inputs = planes
        self.layer1, self.layer2, self.layer3, self.layer4 = layers

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return x.mean(dim=(2, 3))


def head(inputs, hidden, outputs):
    return nn.Sequential(nn.Linear(inputs, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, outputs))


def byol(p, z):
    """BYOL's loss, in fp32 whatever the autocast."""
    return (2 - 2 * F.cosine_similarity(p.float(), z.float(), dim=1)).mean()


def byol_views_loss(backbone, projector, predictor, target_backbone, target_projector, view_a, view_b):
    """The symmetric BYOL loss of two views: online f+g+q against the target f+g."""
    online_a = predictor(projector(backbone(view_a)))
    online_b = predictor(projector(backbone(view_b)))
    with torch.no_grad():
        target_a = target_projector(target_backbone(view_a))
        target_b = target_projector(target_backbone(view_b))
    return (byol(online_a, target_b) + byol(online_b, target_a)) * 0.5


def optimize_and_follow(optimizer, loss, online, target, momentum=0.996):
    """Backward, the optimizer's step, and the target modules' EMA toward the online ones."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        for t, o in zip([p for m in target for p in m.parameters()], [p for m in online for p in m.parameters()]):
            t.mul_(momentum).add_(o, alpha=1 - momentum)
    return loss.item()


def byol_setup(batch, width, hidden):
    """Online f+g+q, target f+g (EMA copies), SGD with the predictor at 10x, two random views."""
    backbone = ResNet18(width)
    projector = head(8 * width, hidden, 256)
    predictor = head(256, hidden, 256)
    target_backbone = copy.deepcopy(backbone).requires_grad_(False)
    target_projector = copy.deepcopy(projector).requires_grad_(False)
    optimizer = torch.optim.SGD([
        {"params": list(backbone.parameters()) + list(projector.parameters())},
        {"params": predictor.parameters(), "lr": 0.5},
    ], lr=0.05, momentum=0.9, weight_decay=5e-4)
    view_a = torch.randn(batch, 1, 28, 28)
    view_b = torch.randn(batch, 1, 28, 28)
    return backbone, projector, predictor, target_backbone, target_projector, optimizer, view_a, view_b


def step_in_mode(mode, repeats):
    batch, width, hidden = 256, 16, 1024
    (backbone, projector, predictor, target_backbone, target_projector, optimizer,
     view_a, view_b) = byol_setup(batch, width, hidden)
    view_a, view_b = prepare(mode, [backbone, target_backbone], [view_a, view_b])

    def step():
        with autocast(mode):
            loss = byol_views_loss(backbone, projector, predictor, target_backbone, target_projector, view_a, view_b)
        return optimize_and_follow(optimizer, loss, [backbone, projector], [target_backbone, target_projector])

    step()
    times, processor_times = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        loss = step()
        times.append(time.perf_counter() - start)
        processor_times.append(time.process_time() - start_cpu)
    seconds = sorted(times)[len(times) // 2]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"name": "byol_step_reference", "images_per_second": batch / seconds, "batch": batch,
                      "step_seconds": seconds, "loss": loss, "mode": mode,
                      "cpu_seconds_per_step": sorted(processor_times)[len(processor_times) // 2], "threads": torch.get_num_threads(),
                      "peak_rss_mb": round(peak, 1)}, sort_keys=True), flush=True)


def convolutions(mode):
    """Forward + backward (input and weight gradients) of each 3x3 convolution shape, median of 5."""
    batch = 256
    shapes = [("conv_layer1_16x28x28", 16, 16, 28, 1), ("conv_layer2_down_16to32_28x28", 16, 32, 28, 2),
              ("conv_layer2_32x14x14", 32, 32, 14, 1), ("conv_layer3_down_32to64_14x14", 32, 64, 14, 2),
              ("conv_layer3_64x7x7", 64, 64, 7, 1), ("conv_layer4_128x4x4", 128, 128, 4, 1)]
    for name, channels, filters, size, stride in shapes:
        conv = nn.Conv2d(channels, filters, 3, stride, 1, bias=False)
        x, = prepare(mode, [conv], [torch.randn(batch, channels, size, size)])
        x.requires_grad_(True)
        output_size = (size + 2 - 3) // stride + 1
        times = []
        for _ in range(6):
            start = time.perf_counter()
            with autocast(mode):
                y = conv(x)
            y.backward(torch.ones_like(y))
            times.append(time.perf_counter() - start)
            x.grad = None
            conv.weight.grad = None
        seconds = sorted(times[1:])[len(times[1:]) // 2]
        flops = 3 * 2 * batch * filters * output_size * output_size * channels * 9
        print(json.dumps({"name": name + "_reference", "gflops": flops / seconds / 1e9, "batch": batch,
                          "forward_backward_ms": seconds * 1000, "mode": mode}, sort_keys=True), flush=True)


if __name__ == "__main__":
    parsed = arguments(__doc__)
    if parsed.mode:
        step_in_mode(parsed.mode, parsed.repeats)
        convolutions(parsed.mode)
    else:
        run_modes(os.path.abspath(__file__), parsed, "byol_step_reference")
