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
which Debian does not package; the stand-ins below do what those helpers do for the arguments
SkateFormer passes.
"""
import json
import math
import resource
import sys
import time
import types

import torch
import torch.nn as nn


def timm_stand_ins():
    """timm.models.layers' drop_path, DropPath, Mlp, trunc_normal_ (and two unused names)."""

    def drop_path(x, drop_prob=0.0, training=False, scale_by_keep=True):
        if drop_prob == 0.0 or not training:
            return x
        keep = 1 - drop_prob
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
        return x * mask / keep if scale_by_keep else x * mask

    class DropPath(nn.Module):
        def __init__(self, drop_prob=0.0, scale_by_keep=True):
            super().__init__()
            self.drop_prob, self.scale_by_keep = drop_prob, scale_by_keep

        def forward(self, x):
            return drop_path(x, self.drop_prob, self.training, self.scale_by_keep)

    class Mlp(nn.Module):
        def __init__(self, in_features, hidden_features=None, out_features=None, act_layer=nn.GELU, drop=0.0, **_):
            super().__init__()
            out_features = out_features or in_features
            hidden_features = hidden_features or in_features
            self.fc1 = nn.Linear(in_features, hidden_features)
            self.act = act_layer()
            self.drop1 = nn.Dropout(drop)
            self.fc2 = nn.Linear(hidden_features, out_features)
            self.drop2 = nn.Dropout(drop)

        def forward(self, x):
            return self.drop2(self.fc2(self.drop1(self.act(self.fc1(x)))))

    def unused(*_, **__):
        raise NotImplementedError("not used by SkateFormer")

    layers = types.ModuleType("timm.models.layers")
    layers.drop_path, layers.DropPath, layers.Mlp = drop_path, DropPath, Mlp
    layers.trunc_normal_ = lambda t, mean=0.0, std=1.0, a=-2.0, b=2.0: nn.init.trunc_normal_(t, mean, std, a, b)
    layers.create_act_layer = layers.get_norm_act_layer = layers.create_conv2d = unused
    timm, models = types.ModuleType("timm"), types.ModuleType("timm.models")
    timm.models, models.layers = models, layers
    sys.modules.update({"timm": timm, "timm.models": models, "timm.models.layers": layers})


COMMON = dict(kernel_size=7, num_heads=32, attn_drop=0.5, head_drop=0.0, rel=True, drop_path=0.2, index_t=True)
CASES = {
    "ntu": dict(num_classes=60, num_people=2, num_points=24, type_1_size=[8, 8], type_2_size=[8, 12], type_3_size=[8, 8], type_4_size=[8, 12], mlp_ratio=4.0),
    "ntu-1person": dict(num_classes=60, num_people=1, num_points=24, type_1_size=[8, 8], type_2_size=[8, 12], type_3_size=[8, 8], type_4_size=[8, 12], mlp_ratio=4.0),
    "nwucla": dict(num_classes=10, num_people=1, num_points=20, type_1_size=[8, 4], type_2_size=[8, 5], type_3_size=[8, 4], type_4_size=[8, 5], mlp_ratio=1.0),
}


def main():
    checkout, case, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    timm_stand_ins()
    sys.path.insert(0, checkout)
    from model.SkateFormer import SkateFormer_  # the official model file

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
    print(json.dumps({"ready": True, "threads": torch.get_num_threads(), "blas": torch.__config__.show().count("OpenBLAS") > 0, "parameters": sum(p.numel() for p in model.parameters())}), flush=True)
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
