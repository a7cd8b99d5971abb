"""Makes the Datasets test fixtures: .npy files written by NumPy, colour-operation and crop
references from torchvision, a small folder of PNG/JPEG images written by Pillow, and the
CIFAR-10-LT class counts of the LDAM recipe. Seeded; run from this folder:

    python3 make_fixtures.py
"""
import json
import math
import os

import numpy as np
import torch
import torchvision.transforms.functional as F
from PIL import Image

rng = np.random.default_rng(20240604)
here = os.path.dirname(os.path.abspath(__file__))


def path(*parts):
    return os.path.join(here, *parts)


# --- .npy files: every dtype and header version the reader supports, and ones it refuses.
npy = {}


def save(name, array, version=None):
    if version is None:
        np.save(path("npy", name), array)
    else:
        with open(path("npy", name), "wb") as f:
            np.lib.format.write_array(f, array, version=version)
    flat = np.asarray(array).ravel(order="K" if array.flags.f_contiguous and not array.flags.c_contiguous else "C")
    values = flat.real.tolist() if np.iscomplexobj(flat) else flat.tolist()
    npy[name] = {"shape": list(array.shape), "dtype": array.dtype.str, "values": values}


os.makedirs(path("npy"), exist_ok=True)
save("uint8_nhw.npy", rng.integers(0, 256, size=(3, 4, 5), dtype=np.uint8))
save("uint8_nhwc.npy", rng.integers(0, 256, size=(2, 3, 4, 3), dtype=np.uint8))
save("int64.npy", rng.integers(-(2**40), 2**40, size=(7,), dtype=np.int64))
save("float32.npy", rng.standard_normal((5, 3)).astype(np.float32))
save("float32_v2.npy", rng.standard_normal((4, 2)).astype(np.float32), version=(2, 0))
save("float32_v3.npy", rng.standard_normal((2, 3)).astype(np.float32), version=(3, 0))
save("float64.npy", rng.standard_normal((2, 2)))
save("int32.npy", rng.integers(-1000, 1000, size=(6,), dtype=np.int32))
save("scalar_float32.npy", np.array(2.5, dtype=np.float32))
save("empty_float32.npy", np.zeros((0, 4), dtype=np.float32))
save("fortran.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
save("bigendian.npy", np.arange(4, dtype=">f4"))
save("complex.npy", np.arange(3, dtype=np.complex64))
# An images file with its labels beside it, as `loadDataset` pairs them.
save("digits_like.npy", rng.integers(0, 256, size=(6, 8, 8), dtype=np.uint8))
save("digits_like_labels.npy", np.array([0, 1, 2, 0, 1, 2], dtype=np.int64))
with open(path("npy_expected.json"), "w") as f:
    json.dump(npy, f)

# --- torchvision references for the colour operations, the blur and the resized crop.
def operation_references(image, operations):
    """The image and each named operation's output, flattened, as the Swift tests read them."""
    return {"image": image.flatten().tolist(), "height": image.shape[1], "width": image.shape[2],
            "operations": [{"name": name, "output": output.flatten().tolist()} for name, output in operations]}


image = torch.from_numpy(rng.random((3, 6, 7)).astype(np.float32))
references = operation_references(image, [
    ("brightness 1.3", F.adjust_brightness(image, 1.3)),
    ("brightness 0.6", F.adjust_brightness(image, 0.6)),
    ("contrast 0.7", F.adjust_contrast(image, 0.7)),
    ("contrast 1.4", F.adjust_contrast(image, 1.4)),
    ("saturation 1.4", F.adjust_saturation(image, 1.4)),
    ("saturation 0.6", F.adjust_saturation(image, 0.6)),
    ("hue 0.08", F.adjust_hue(image, 0.08)),
    ("hue -0.3", F.adjust_hue(image, -0.3)),
    ("grayscale", F.rgb_to_grayscale(image, num_output_channels=3)),
    ("blur 3 0.8", F.gaussian_blur(image, kernel_size=[3, 3], sigma=[0.8, 0.8])),
    ("blur 5 1.7", F.gaussian_blur(image, kernel_size=[5, 5], sigma=[1.7, 1.7])),
])
bytes_image = torch.from_numpy(rng.integers(0, 256, size=(3, 9, 8), dtype=np.uint8))
crops = []
for top, left, h, w, out_h, out_w, flip in [(1, 2, 4, 3, 9, 8, False), (0, 0, 9, 8, 9, 8, False),
                                            (3, 1, 6, 7, 9, 8, True), (2, 2, 5, 5, 4, 6, False)]:
    crop = F.resized_crop(bytes_image.float() / 255, top, left, h, w, [out_h, out_w],
                          interpolation=F.InterpolationMode.BILINEAR, antialias=False)
    if flip:
        crop = F.hflip(crop)
    crops.append({"box": [top, left, h, w], "size": [out_h, out_w], "flip": flip,
                  "output": crop.flatten().tolist()})
references["crop_source"] = bytes_image.flatten().tolist()
references["crop_source_size"] = [3, 9, 8]
references["crops"] = crops
with open(path("torchvision_reference.json"), "w") as f:
    json.dump(references, f)

# --- A folder of images with class sub-folders, and the pixels Pillow decodes from them.
folder = {}
for cls, files in [("cats", [("a.png", "RGB", (5, 4)), ("b.jpg", "RGB", (16, 16))]),
                   ("dogs", [("c.png", "L", (5, 4)), ("d.png", "RGBA", (6, 3))])]:
    os.makedirs(path("folder", cls), exist_ok=True)
    for name, mode, size in files:
        channels = {"RGB": 3, "L": 1, "RGBA": 4}[mode]
        data = rng.integers(0, 256, size=(size[1], size[0], channels), dtype=np.uint8)
        if mode == "RGBA":
            data[..., 3] = 255  # opaque, so compositing does not change the colours
        picture = Image.fromarray(data.squeeze(-1) if channels == 1 else data, mode)
        picture.save(path("folder", cls, name), quality=95) if name.endswith(".jpg") else picture.save(path("folder", cls, name))
        decoded = np.asarray(Image.open(path("folder", cls, name)).convert("L" if mode == "L" else "RGB"))
        folder[cls + "/" + name] = {"size": [decoded.shape[0], decoded.shape[1]],
                                    "channels": 1 if decoded.ndim == 2 else 3,
                                    "hwc": decoded.flatten().tolist()}
with open(path("folder_expected.json"), "w") as f:
    json.dump(folder, f)

# --- CIFAR-10-LT class counts (LDAM: img_max * imb_factor ** (c / (cls_num - 1)), int()).
counts = {}
for ratio in [10, 50, 100]:
    counts[str(ratio)] = [int(5000 * (1.0 / ratio) ** (c / 9.0)) for c in range(10)]
with open(path("longtail_counts.json"), "w") as f:
    json.dump(counts, f)
print("fixtures written")

# --- torchvision on a grey image: brightness and contrast act on it, the colour-only
# operations (saturation, hue) return it unchanged. Own generator: the fixtures above stay.
grey_rng = np.random.default_rng(20261129)
grey = torch.from_numpy(grey_rng.random((1, 6, 7)).astype(np.float32))
grey_references = operation_references(grey, [
    ("brightness 1.3", F.adjust_brightness(grey, 1.3)),
    ("contrast 0.7", F.adjust_contrast(grey, 0.7)),
    ("contrast 1.4", F.adjust_contrast(grey, 1.4)),
    ("saturation 1.4", F.adjust_saturation(grey, 1.4)),
    ("hue 0.08", F.adjust_hue(grey, 0.08)),
])
with open(path("torchvision_grey_reference.json"), "w") as f:
    json.dump(grey_references, f)

# --- torchvision's rotate (bilinear, no fill: zeros where the turned image does not reach),
# on a grey and a colour image of odd and even sides, with its own generator.
rotation_rng = np.random.default_rng(20261207)
rotations = []
for channels, height, width, angle in [(1, 7, 9, 17.0), (1, 8, 8, -33.5), (3, 6, 5, 90.0), (1, 9, 6, 4.25)]:
    image = torch.from_numpy(rotation_rng.random((channels, height, width)).astype(np.float32))
    turned = F.rotate(image, angle, interpolation=F.InterpolationMode.BILINEAR)
    rotations.append({"size": [channels, height, width], "angle": angle,
                      "image": image.flatten().tolist(), "output": turned.flatten().tolist()})
with open(path("torchvision_rotation.json"), "w") as f:
    json.dump(rotations, f)
