"""The official SkateFormer (PyTorch) timed on request, for bench:model --pytorch.

Usage (bench/model.ts starts it; one process per benchmark case, so peak memory is the case's):
    python3 bench/pytorch_skateformer.py <official SkateFormer checkout> <case> <threads>
case: ntu | ntu-1person | nwucla, with the model arguments of the official configs
(config/train/ntu_cs/SkateFormer_j.yaml, config/train/nw_ucla/SkateFormer_j.yaml; the 1-person
variant is the NTU one with num_people=1).

Then one JSON command per stdin line, one JSON answer per stdout line:
    {"op": "forward", "runs": 3}             batch 1, eval mode: {"ms": [..]}
    {"op": "train", "batch": 16, "steps": 1} forward, label-smoothed cross-entropy (0.1),
                                             backward, gradient clipping at norm 1, AdamW step
                                             (the official recipe): {"ms": [..]}
    {"op": "memory"}                         {"peakRssMiB": ..}
The checkout is only imported, never copied. The model file imports five helpers from timm,
which Debian does not package; the stand-ins in scripts/skateformer_official.py do what those helpers do for the arguments
SkateFormer passes.
"""
import json
import os
import resource
import sys
import time

import torch
import torch.nn as nn


COMMON = dict(kernel_size=7, num_heads=32, attn_drop=0.5, head_drop=0.0, rel=True, drop_path=0.2, index_t=True)
CASES = {
    "ntu": dict(num_classes=60, num_people=2, num_points=24, type_1_size=[8, 8], type_2_size=[8, 12], type_3_size=[8, 8], type_4_size=[8, 12], mlp_ratio=4.0),
    "ntu-1person": dict(num_classes=60, num_people=1, num_points=24, type_1_size=[8, 8], type_2_size=[8, 12], type_3_size=[8, 8], type_4_size=[8, 12], mlp_ratio=4.0),
    "nwucla": dict(num_classes=10, num_people=1, num_points=20, type_1_size=[8, 4], type_2_size=[8, 5], type_3_size=[8, 4], type_4_size=[8, 5], mlp_ratio=1.0),
}


def blas_core():
    """OpenBLAS's kernel set (Haswell, SkylakeX, ...) in the libblas.so.3 torch loaded, or None."""
    try:
        import ctypes
        corename = ctypes.CDLL("libblas.so.3").openblas_get_corename
        corename.restype = ctypes.c_char_p
        return corename().decode()
    except (OSError, AttributeError):
        return None


def main():
    checkout, case, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    # The official model file, with timm's few helpers stood in (scripts/skateformer_official.py).
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
    from skateformer_official import official_module

    SkateFormer_ = official_module(checkout).SkateFormer_

    args = CASES[case]
    model = SkateFormer_(**COMMON, **args)
    people, points, classes = args["num_people"], args["num_points"], args["num_classes"]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.1)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)

    def inputs(batch):
        x = torch.randn(batch, 3, 64, points, people) * 0.3
        index_t = torch.linspace(-1, 1, 64).repeat(batch, 1)
        labels = torch.arange(batch) % classes
        return x, index_t, labels

    one = inputs(1)
    batches = {}
    print(json.dumps({"ready": True, "threads": torch.get_num_threads(), "blas": torch.__config__.show().count("OpenBLAS") > 0, "blasCore": blas_core(), "parameters": sum(p.numel() for p in model.parameters())}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["op"] == "forward":
            model.eval()
            times = []
            with torch.no_grad():
                for _ in range(cmd.get("runs", 1)):
                    t0 = time.perf_counter()
                    model(one[0], one[1])
                    times.append((time.perf_counter() - t0) * 1000)
            print(json.dumps({"ms": times}), flush=True)
        elif cmd["op"] == "train":
            model.train()
            batch = cmd.get("batch", 16)
            x, index_t, labels = batches.setdefault(batch, inputs(batch))
            times = []
            for _ in range(cmd.get("steps", 1)):
                t0 = time.perf_counter()
                optimizer.zero_grad(set_to_none=True)
                loss = loss_fn(model(x, index_t), labels)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                loss.item()
                times.append((time.perf_counter() - t0) * 1000)
            print(json.dumps({"ms": times}), flush=True)
        elif cmd["op"] == "memory":
            print(json.dumps({"peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)
        else:
            print(json.dumps({"error": f"unknown op {cmd['op']}"}), flush=True)


if __name__ == "__main__":
    main()
