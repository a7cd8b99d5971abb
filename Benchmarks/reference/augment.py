"""The `augment` figure's reference: torchvision's v2 transforms with SPEC section 4's
settings, two views of a batch of 256, per sample as a DataLoader worker applies them (one
process, one torch thread, as PyTorch sets in each DataLoader worker). Prints one JSON line per dataset:
{"name": "augment_reference", "dataset": ..., "images_per_second": ...}.
Run from the repository root (reads ../shared/data and Debian's Fashion-MNIST)."""
import gzip
import json
import os
import statistics
import time

import numpy as np
import torch
from torchvision.transforms import v2

torch.manual_seed(1)
torch.set_num_threads(1)


def fashion_mnist():
    path = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
    with gzip.open(path) as f:
        data = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return "fashion-mnist", torch.from_numpy(data.reshape(-1, 1, 28, 28).copy())


def cifar_subset():
    raw = np.fromfile("../shared/data/cifar10-subset/data_batch_1_first4000.bin", dtype=np.uint8)
    records = raw.reshape(-1, 3073)
    return "cifar10", torch.from_numpy(records[:, 1:].reshape(-1, 3, 32, 32).copy())


def pipeline(images):
    size = images.shape[-1]
    steps = [v2.RandomResizedCrop(size, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3), antialias=True),
             v2.RandomHorizontalFlip(0.5)]
    if images.shape[1] == 3:
        steps += [v2.RandomApply([v2.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8), v2.RandomGrayscale(0.2)]
    floats = images.float() / 255
    mean = floats.mean(dim=(0, 2, 3)).tolist()
    std = floats.std(dim=(0, 2, 3)).tolist()
    steps += [v2.ToDtype(torch.float32, scale=True), v2.Normalize(mean, std)]
    return v2.Compose(steps)


for name, images in [fashion_mnist() if os.path.exists("/usr/share/datasets/fashion-mnist") else None, cifar_subset()]:
    if name is None:
        continue
    transform = pipeline(images)
    batch = 256
    times, cpu_times = [], []
    for repeat in range(5):
        indices = torch.randint(0, images.shape[0], (batch,))
        start, cpu_start = time.perf_counter(), time.process_time()
        first = torch.stack([transform(images[i]) for i in indices])
        second = torch.stack([transform(images[i]) for i in indices])
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    seconds = statistics.median(times[1:])
    cpu_seconds = statistics.median(cpu_times[1:])
    print(json.dumps({"name": "augment_reference", "dataset": name,
                      "shape": "x".join(map(str, images.shape[1:])), "batch": batch, "views": 2,
                      "threads": torch.get_num_threads(), "seconds_per_batch": seconds,
                      "images_per_second": batch / seconds, "views_per_second": 2 * batch / seconds,
                      "cpu_seconds_per_batch": cpu_seconds, "images_per_cpu_second": batch / cpu_seconds}))
