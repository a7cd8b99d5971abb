"""Makes the PyTorch reference fixtures of NeuralNetworksTests (run from this folder).

    python3 make_fixtures.py

Seed 1234. Writes:
  conv_bn_relu.json    a conv(stride 2, padding 1) -> BatchNorm2d (train) -> ReLU block: inputs,
                       output, gradients of sum(output * probe), running statistics after
  byol_loss.json       a predictor head Linear-BN1d-ReLU-Linear on features h and the BYOL
                       loss mean(2 - 2 cos(q(h), z)): value and gradients for h and every
                       parameter
  resnet18_cifar_names.json  torchvision resnet18 state_dict names and shapes with the CIFAR
                       stem (3x3 conv stride 1, no max-pool) and without fc
  tiny_resnet.safetensors    a ResNet-18 of width 2 (CIFAR stem, 1 channel), torchvision names,
                       written by save_file after random BN affine parameters
  tiny_resnet.json     its training-mode output on an input [4, 1, 16, 16], the gradients of
                       sum(output * probe) for the input and every parameter, and the
                       running statistics after that forward pass
  python_written.safetensors a file written by safetensors.torch.save_file (F32 and I64,
                       metadata), for the reader
"""
import json

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from safetensors.torch import save_file

torch.manual_seed(1234)


def flat(tensor):
    return [float(v) for v in tensor.detach().reshape(-1).tolist()]


def conv_bn_relu():
    x = torch.randn(3, 2, 5, 5, requires_grad=True)
    conv = nn.Conv2d(2, 4, 3, stride=2, padding=1, bias=False)
    bn = nn.BatchNorm2d(4)
    with torch.no_grad():
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)
    bn.train()
    y = F.relu(bn(conv(x)))
    probe = torch.randn_like(y)
    (y * probe).sum().backward()
    return {
        "input_shape": list(x.shape), "input": flat(x),
        "weight_shape": list(conv.weight.shape), "weight": flat(conv.weight),
        "scale": flat(bn.weight), "offset": flat(bn.bias),
        "stride": 2, "padding": 1,
        "output_shape": list(y.shape), "output": flat(y), "probe": flat(probe),
        "input_gradient": flat(x.grad), "weight_gradient": flat(conv.weight.grad),
        "scale_gradient": flat(bn.weight.grad), "offset_gradient": flat(bn.bias.grad),
        "running_mean": flat(bn.running_mean), "running_var": flat(bn.running_var),
    }


def byol_loss():
    h = torch.randn(6, 8, requires_grad=True)
    z = torch.randn(6, 5)
    head = nn.Sequential(nn.Linear(8, 7), nn.BatchNorm1d(7), nn.ReLU(), nn.Linear(7, 5))
    head.train()
    p = head(h)
    loss = (2 - 2 * F.cosine_similarity(p, z, dim=1)).mean()
    loss.backward()
    return {
        "features_shape": list(h.shape), "features": flat(h), "target": flat(z), "target_shape": list(z.shape),
        "parameters": {name: {"shape": list(t.shape), "values": flat(t), "gradient": flat(t.grad)}
                       for name, t in head.named_parameters()},
        "prediction": flat(p), "loss": float(loss.detach()), "features_gradient": flat(h.grad),
    }


def resnet_names():
    model = torchvision.models.resnet18()
    model.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
    model.maxpool = nn.Identity()
    return [{"name": name, "shape": list(t.shape)} for name, t in model.state_dict().items()
            if not name.startswith("fc.")]


def tiny_resnet():
    import sys
    sys.path.insert(0, "../../../Benchmarks/reference")
    from byol_step import ResNet18
    model = ResNet18(width=2, channels=1)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, "tiny_resnet.safetensors")
    x = torch.randn(4, 1, 16, 16, requires_grad=True)
    model.train()
    y = model(x)
    probe = torch.randn_like(y)
    (y * probe).sum().backward()
    return {
        "input": flat(x), "input_shape": list(x.shape), "output": flat(y), "output_shape": list(y.shape),
        "probe": flat(probe), "input_gradient": flat(x.grad),
        "gradients": {name: flat(t.grad) for name, t in model.named_parameters()},
        "state_after": {name: flat(t.float()) for name, t in model.state_dict().items()},
    }


def python_written():
    tensors = {
        "layer.weight": torch.arange(6, dtype=torch.float32).reshape(2, 3) / 4,
        "layer.bias": torch.tensor([-1.5, 2.25]),
        "bn.num_batches_tracked": torch.tensor(17, dtype=torch.int64),
    }
    save_file(tensors, "python_written.safetensors", metadata={"epoch": "3", "step": "42"})


if __name__ == "__main__":
    for name, make in [("conv_bn_relu", conv_bn_relu), ("byol_loss", byol_loss),
                       ("resnet18_cifar_names", resnet_names),
                       ("tiny_resnet", tiny_resnet)]:
        with open(f"{name}.json", "w") as file:
            json.dump(make(), file)
    python_written()
