"""Training-step timer for `lightnets bench-train --compare pytorch` (Debian's python3-torch, torchvision).

Builds torchvision's definition of the model (10 classes by default), then serves timing requests on stdin so that
LightNets can interleave its rounds with PyTorch's in one run:
  a line "nchw N" or "channels_last N" -> times N training steps (forward, cross-entropy, backward, SGD update)
  in that memory format and prints one JSON line {"seconds": [...]} with each step's wall time.
The first line printed is {"ready": ..., "params": ...} once both models are built and warmed up.
"""
import json
import sys
import time

import torch
import torchvision


def build(arch, width, classes):
    models = torchvision.models
    if arch == "mobilenetv2":
        return models.mobilenet_v2(width_mult=width, num_classes=classes)
    if arch == "mobilenetv3_small":
        return models.mobilenet_v3_small(width_mult=width, num_classes=classes)
    if arch == "mobilenetv3_large":
        return models.mobilenet_v3_large(width_mult=width, num_classes=classes)
    if arch == "shufflenetv2":
        names = {0.5: "shufflenet_v2_x0_5", 1.0: "shufflenet_v2_x1_0", 1.5: "shufflenet_v2_x1_5", 2.0: "shufflenet_v2_x2_0"}
        if width not in names:
            raise SystemExit(f"torchvision has ShuffleNetV2 at 0.5, 1.0, 1.5 and 2.0 only, not {width}")
        return getattr(models, names[width])(num_classes=classes)
    raise SystemExit(f"torchvision has no {arch}")


def main():
    arch, width, classes, batch, resolution, threads, warmup = sys.argv[1:8]
    width, classes, batch, resolution, threads, warmup = float(width), int(classes), int(batch), int(resolution), int(threads), int(warmup)
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x = torch.randn(batch, 3, resolution, resolution)
    y = torch.randint(0, classes, (batch,))
    loss_fn = torch.nn.CrossEntropyLoss()
    setups = {}
    for fmt, memory in (("nchw", torch.contiguous_format), ("channels_last", torch.channels_last)):
        model = build(arch, width, classes).train().to(memory_format=memory)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        setups[fmt] = (model, optimizer, x.contiguous(memory_format=memory))

    def step(fmt):
        model, optimizer, inputs = setups[fmt]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(inputs), y)
        loss.backward()
        optimizer.step()

    for fmt in setups:
        for _ in range(warmup):
            step(fmt)
    params = sum(p.numel() for p in setups["nchw"][0].parameters())
    print(json.dumps({"ready": True, "params": params, "torch": torch.__version__}), flush=True)
    for line in sys.stdin:
        parts = line.split()
        if len(parts) != 2 or parts[0] not in setups:
            break
        seconds = []
        for _ in range(int(parts[1])):
            start = time.perf_counter()
            step(parts[0])
            seconds.append(time.perf_counter() - start)
        print(json.dumps({"seconds": seconds}), flush=True)


if __name__ == "__main__":
    main()
