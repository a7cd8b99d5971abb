"""Makes the Vision Transformer fixtures of NeuralNetworksTests from timm (run from this folder).

    python3 make_vit_fixtures.py            # writes the fixtures below
    python3 make_vit_fixtures.py FILE       # loads FILE, a checkpoint nrcc wrote for the tiny
                                            # ViT, into timm (strict) and checks its output

Seed 1234; timm 1.0.31, torch 2.x, fp32. Writes:
  tiny_vit.safetensors  timm's VisionTransformer(img_size=8, patch_size=2, in_chans=1,
                        num_classes=0, embed_dim=16, depth=2, num_heads=2), class token and
                        global_pool='token', state_dict as saved by save_file, after drawing
                        the LayerNorms' affine maps and the class token at random (timm starts
                        them at 1, 0 and ~1e-6, which would leave them untested)
  tiny_vit.json         its output on an input [3, 1, 8, 8], the gradients of
                        sum(output * probe) for the input and every parameter, and its
                        state_dict names and shapes in order (the names nrcc must write)
  adamw.json            torch.optim.AdamW (lr 0.01, weight decay 0.05, betas 0.9/0.999,
                        eps 1e-8) over three steps of given gradients: the parameters after
                        each step
  vit_tiny_names.json   the names and shapes of timm's ViT-Tiny (192 x 12 x 3 heads) for
                        32x32x3 images with patch 4: nrcc's ViT-Tiny writes exactly these, so
                        its checkpoints load with load_state_dict(strict=True)
"""
import json
import sys

import torch
from safetensors.torch import load_file, save_file
from timm.models.vision_transformer import VisionTransformer

torch.manual_seed(1234)


def flat(tensor):
    return [float(v) for v in tensor.detach().reshape(-1).tolist()]


def tiny():
    return VisionTransformer(img_size=8, patch_size=2, in_chans=1, num_classes=0, embed_dim=16, depth=2,
                             num_heads=2, global_pool="token", class_token=True)


def names(model):
    return [{"name": name, "shape": list(t.shape)} for name, t in model.state_dict().items()]


def tiny_vit():
    model = tiny()
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "norm" in name and name.endswith("weight"):
                parameter.uniform_(0.5, 1.5)
            elif "norm" in name and name.endswith("bias"):
                parameter.uniform_(-0.5, 0.5)
            elif name == "cls_token":
                parameter.normal_(0, 0.5)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, "tiny_vit.safetensors")
    model.train()  # no dropout, no batch statistics: train and eval agree
    x = torch.randn(3, 1, 8, 8, requires_grad=True)
    y = model(x)
    probe = torch.randn_like(y)
    (y * probe).sum().backward()
    return {
        "input": flat(x), "input_shape": list(x.shape), "output": flat(y), "output_shape": list(y.shape),
        "probe": flat(probe), "input_gradient": flat(x.grad),
        "gradients": {name: flat(t.grad) for name, t in model.named_parameters()},
        "names": names(model),
    }


def vit_tiny_names():
    model = VisionTransformer(img_size=32, patch_size=4, in_chans=3, num_classes=0, embed_dim=192, depth=12,
                              num_heads=3, global_pool="token", class_token=True)
    return {"names": names(model)}


def adamw():
    parameter = torch.nn.Parameter(torch.randn(3, 4))
    start = flat(parameter)
    optimizer = torch.optim.AdamW([parameter], lr=0.01, weight_decay=0.05, betas=(0.9, 0.999), eps=1e-8)
    gradients, after = [], []
    for _ in range(3):
        gradient = torch.randn(3, 4)
        parameter.grad = gradient.clone()
        optimizer.step()
        gradients.append(flat(gradient))
        after.append(flat(parameter))
    return {"shape": [3, 4], "start": start, "gradients": gradients, "after": after,
            "learning_rate": 0.01, "weight_decay": 0.05}


def check(path):
    """Loads a checkpoint nrcc wrote (the tiny ViT's tensors under no prefix) into timm."""
    model = tiny()
    state = load_file(path)
    model.load_state_dict(state, strict=True)  # raises on any missing, extra or misshapen tensor
    with open("tiny_vit.json") as file:
        data = json.load(file)
    x = torch.tensor(data["input"]).reshape(data["input_shape"])
    with torch.no_grad():
        y = model(x)
    difference = (y.reshape(-1) - torch.tensor(data["output"])).abs().max().item()
    print(f"loaded {len(state)} tensors strictly; output {tuple(y.shape)}; "
          f"max difference from tiny_vit.json's output {difference:.2e}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        check(sys.argv[1])
    else:
        for name, make in [("tiny_vit", tiny_vit), ("vit_tiny_names", vit_tiny_names), ("adamw", adamw)]:
            with open(f"{name}.json", "w") as file:
                json.dump(make(), file)
