#!/usr/bin/python3
"""Writes imagenet_classes.txt: the 1000 ImageNet-1k class names, one per line, in the order of the classifier's
outputs (index 0 = "tench"), as torchvision's pretrained weights use them.

Source: torchvision.models._meta._IMAGENET_CATEGORIES of Debian's python3-torchvision 0.14 (run with the system
interpreter: /usr/bin/python3 make_imagenet_classes.py). The file is committed; builds never run this.
"""
import os

from torchvision.models._meta import _IMAGENET_CATEGORIES

names = list(_IMAGENET_CATEGORIES)
assert len(names) == 1000, len(names)
assert all(n and "\n" not in n for n in names)
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "imagenet_classes.txt")
with open(path, "w", encoding="utf-8", newline="\n") as f:
    f.write("\n".join(names) + "\n")
print(f"{len(names)} names -> {path}")
