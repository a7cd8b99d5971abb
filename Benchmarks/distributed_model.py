"""The step time of data-parallel `nrcc train` on 2-64 nodes, on paper (docs/distributed.md).

Each node is one rank with the compute of the measured host; the batch per node stays fixed
(weak scaling: the global batch is N times it, the learning rate grows with it by the linear
rule, lr = base x global batch / 256, after the warm-up). Per step:

    T(N) = t_compute + t_gradients(N) [+ t_batch_norm(N) with --sync-batch-norm]
    t_gradients(N)  = 2 (N - 1) / N x S / bandwidth + 2 (N - 1) x alpha    (ring allreduce)
    t_batch_norm(N) = K x 2 ceil(log2 N) x alpha                          (K small allreduces,
                                                                          recursive doubling)

S: the gradient bytes averaged per step (measured); K: the synchronised batch norms per step
(130 for BYOL: 42 in the target's forward passes, 44 in the online forward passes, 44 in the
backward pass); alpha: the latency of one message. Their payloads (at most 2 x 1024 + 1
doubles) are negligible against alpha.

    python3 Benchmarks/distributed_model.py --compute 0.30 --bytes 4000000 --batch 64
"""

import argparse
import math

LINKS = {  # name: (bytes per second, latency per message in seconds)
    "10 Gb/s (TCP)": (10e9 / 8, 25e-6),
    "100 Gb/s (RDMA)": (100e9 / 8, 3e-6),
}
BATCH_NORMS_PER_STEP = 130


def step_time(nodes, compute, size, link, synchronized):
    bandwidth, alpha = link
    if nodes == 1:
        return compute, 0.0, 0.0
    gradients = 2 * (nodes - 1) / nodes * size / bandwidth + 2 * (nodes - 1) * alpha
    norms = BATCH_NORMS_PER_STEP * 2 * math.ceil(math.log2(nodes)) * alpha if synchronized else 0.0
    return compute + gradients + norms, gradients, norms


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compute", type=float, required=True, help="seconds of compute per step on one node")
    parser.add_argument("--bytes", type=float, required=True, help="gradient bytes averaged per step")
    parser.add_argument("--batch", type=int, required=True, help="images per node per step")
    parser.add_argument("--base-learning-rate", type=float, default=0.5, help="at batch 256 (BYOL's CPU default)")
    arguments = parser.parse_args()
    columns = [(name, synchronized) for name in LINKS for synchronized in (False, True)]
    print("| nodes | global batch | learning rate | "
          + " | ".join(f"{name}{', sync BN' if synchronized else ''}: step ms (efficiency)" for name, synchronized in columns)
          + " |")
    print("|---" * (3 + len(columns)) + "|")
    for nodes in [1, 2, 4, 8, 16, 32, 64]:
        batch = arguments.batch * nodes
        rate = arguments.base_learning_rate * batch / 256
        cells = []
        for name, synchronized in columns:
            total, _, _ = step_time(nodes, arguments.compute, arguments.bytes, LINKS[name], synchronized)
            cells.append(f"{total * 1e3:.1f} ({arguments.compute / total:.2f})")
        print(f"| {nodes} | {batch} | {rate:.3g} | " + " | ".join(cells) + " |")
    print()
    print("allreduce of the gradients alone, ms: " + ", ".join(
        f"{nodes} nodes {step_time(nodes, 0, arguments.bytes, LINKS[name], False)[1] * 1e3:.2f} at {name}"
        for nodes in (2, 64) for name in LINKS))

if __name__ == "__main__":
    main()
