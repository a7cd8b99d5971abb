"""Makes the Pipeline test fixtures: the digits labels file of ../shared/data, copied byte for
byte (170 bytes, 1797 labels 0-9 as gzipped IDX), so the label reader is tested on a real file
in a clone with no ../shared beside it. Python 3 standard library only; run from anywhere:

    python3 make_fixtures.py [path/to/shared/data]
"""
import gzip
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# Tests/PipelineTests/Fixtures -> the package root -> ../shared/data beside it.
DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "..", "shared", "data")
NAME = "digits-labels-idx1-ubyte.gz"

shutil.copyfile(os.path.join(DATA, "digits", NAME), os.path.join(HERE, NAME))
with gzip.open(os.path.join(HERE, NAME)) as file:
    labels = file.read()
assert labels[:4] == b"\x00\x00\x08\x01" and len(labels) == 8 + 1797, "expected 1797 IDX labels"
print(os.path.getsize(os.path.join(HERE, NAME)), NAME)
