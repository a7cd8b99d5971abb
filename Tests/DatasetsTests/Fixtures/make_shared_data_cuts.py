"""Makes shared-data/: the few records of ../shared/data that the Datasets tests read, so they
pass in a clone with no ../shared beside it (../shared/data/README.md: tests must not read it).

    shared-data/digits/digits-images-idx3-ubyte.gz       whole file (1797 8x8 images, 44 KB):
                                                         the embedded digits are checked against it
    shared-data/digits/digits-labels-idx1-ubyte.gz       whole file (1797 labels)
    shared-data/usps/usps-test-labels-idx1-ubyte.gz      whole file (2007 labels), a real IDX to fuzz
    shared-data/coil20/coil20-32x32-labels-idx1-ubyte.gz whole file (1440 labels)
    shared-data/cifar10-subset/data_batch_1_first8.bin   the first 8 records (3073 bytes each) of
                                                         data_batch_1_first4000.bin
    shared-data/cifar10-subset/batches.meta.txt          whole file (the 10 class names)

The gzipped files are copied byte for byte (their gzip headers, names and deflate streams are
what the gzip and IDX fuzzing cuts and flips). Tests that need a whole data set (USPS's 9298
images, the 4000-image CIFAR subset) still read ../shared/data and are skipped without it.
Python 3 standard library only; run from anywhere:

    python3 make_shared_data_cuts.py [path/to/shared/data]
"""
import gzip
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# Tests/DatasetsTests/Fixtures -> the package root -> ../shared/data beside it.
DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "..", "shared", "data")
OUT = os.path.join(HERE, "shared-data")
CIFAR_RECORD = 1 + 3 * 32 * 32
CIFAR_RECORDS = 8

WHOLE = [
    "digits/digits-images-idx3-ubyte.gz",
    "digits/digits-labels-idx1-ubyte.gz",
    "usps/usps-test-labels-idx1-ubyte.gz",
    "coil20/coil20-32x32-labels-idx1-ubyte.gz",
    "cifar10-subset/batches.meta.txt",
]

for name in WHOLE:
    os.makedirs(os.path.dirname(os.path.join(OUT, name)), exist_ok=True)
    shutil.copyfile(os.path.join(DATA, name), os.path.join(OUT, name))
    if name.endswith(".gz"):
        with gzip.open(os.path.join(OUT, name)) as file:
            assert file.read(3) == b"\x00\x00\x08", name  # IDX magic, uint8

with open(os.path.join(DATA, "cifar10-subset", "data_batch_1_first4000.bin"), "rb") as file:
    cut = file.read(CIFAR_RECORD * CIFAR_RECORDS)
assert len(cut) == CIFAR_RECORD * CIFAR_RECORDS
assert all(cut[i * CIFAR_RECORD] < 10 for i in range(CIFAR_RECORDS))
with open(os.path.join(OUT, "cifar10-subset", "data_batch_1_first8.bin"), "wb") as file:
    file.write(cut)

for root, _, files in sorted(os.walk(OUT)):
    for name in sorted(files):
        path = os.path.join(root, name)
        print(f"{os.path.getsize(path):7d}  {os.path.relpath(path, HERE)}")
