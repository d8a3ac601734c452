#!/usr/bin/env python3
"""
Official-code fixtures for skelact's PyTorch interop tests (test/models/pytorch/).

Run at development time only, with a Python that has PyTorch (Debian's python3-torch 1.13 is
/usr/bin/python3) and a checkout of the official SkateFormer code (KAIST-VICLab/SkateFormer):

    /usr/bin/python3 scripts/pytorch-fixtures.py fixtures <SkateFormer checkout> test/models/pytorch/fixtures
        randomly initialised official SkateFormers at small size (an NTU-shaped one and an
        NW-UCLA-shaped one), fixed inputs and the official logits; a few bad files.
    /usr/bin/python3 scripts/pytorch-fixtures.py full <SkateFormer checkout> <out dir>
        a full-size official NTU60 model (SkateFormer_ with config/train/ntu_cs/SkateFormer_j.yaml's
        arguments), randomly initialised: checkpoint.pt (14 MB, not committed), inputs and logits.
    /usr/bin/python3 scripts/pytorch-fixtures.py check <SkateFormer checkout> <weights.safetensors> <io.safetensors>
        loads skelact's export into the official model (load_state_dict strict) and prints the
        official logits on the inputs of io.safetensors as JSON (used by the on-the-fly test).

Nothing of the official repository is copied: its model file is imported from the checkout.
It imports a few `timm` helpers; where timm is absent (Debian has none) small stand-ins written
here are installed under that name first (trunc_normal_, DropPath, Mlp: the parts the model
uses; in eval mode drop path is the identity).

Safetensors files are written and read with the few lines below, following the format's
specification (8-byte little-endian header length, JSON header, raw little-endian data), since
the `safetensors` package is not in Debian.
"""
import json
import os
import struct
import sys
import zipfile
from collections import OrderedDict

import torch
import torch.nn as nn

sys.dont_write_bytecode = True  # leave the official checkout untouched


# The official model file without timm: scripts/skateformer_official.py.
from skateformer_official import official_module  # noqa: E402


# ------------------------------------------------------------------------------------------
# safetensors, from the specification
# ------------------------------------------------------------------------------------------

CODES = {torch.float32: 'F32', torch.float16: 'F16', torch.int64: 'I64'}
DTYPES = {v: k for k, v in CODES.items()}


def write_safetensors(path, tensors, metadata=None):
    header, chunks, offset = {}, [], 0
    if metadata:
        header['__metadata__'] = metadata
    for name, t in tensors.items():
        raw = t.detach().contiguous().cpu().numpy().tobytes()  # little-endian on x86/arm
        header[name] = {'dtype': CODES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def read_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = OrderedDict()
    for name, e in header.items():
        if name == '__metadata__':
            continue
        b, end = e['data_offsets']
        out[name] = torch.frombuffer(bytearray(body[b:end]), dtype=DTYPES[e['dtype']]).reshape(e['shape']).clone()
    return out, header.get('__metadata__', {})


# ------------------------------------------------------------------------------------------
# Models and inputs
# ------------------------------------------------------------------------------------------

# Small official models: the official code with small widths (skelact builds the same from the
# matching config in test/models/pytorch/interop.test.ts).
SMALL = {
    # NTU shape: 2 persons × 24 regrouped joints, partitions [8, 8] / [8, 12]; 2 heads per branch.
    'ntu-small': dict(in_channels=3, depths=(1, 1), channels=(16, 32), num_classes=5, embed_dim=16, num_people=2,
                      num_frames=16, num_points=24, kernel_size=7, num_heads=16, type_1_size=(8, 8),
                      type_2_size=(8, 12), type_3_size=(8, 8), type_4_size=(8, 12), attn_drop=0.5, head_drop=0.0,
                      drop_path=0.2, rel=True, mlp_ratio=2.0, index_t=True),
    # NW-UCLA shape: 1 person × 20 joints, partitions [8, 4] / [8, 5], MLP ratio 1, the learned
    # (T, V) embedding instead of index_t.
    'ucla-small': dict(in_channels=3, depths=(1, 1), channels=(16, 16), num_classes=4, embed_dim=16, num_people=1,
                       num_frames=16, num_points=20, kernel_size=7, num_heads=8, type_1_size=(8, 4),
                       type_2_size=(8, 5), type_3_size=(8, 4), type_4_size=(8, 5), attn_drop=0.5, head_drop=0.0,
                       drop_path=0.2, rel=True, mlp_ratio=1.0, index_t=False),
}

# config/train/ntu_cs/SkateFormer_j.yaml's model_args for SkateFormer_ (embed 96, depths 2,2,2,2,
# channels 96,192,192,192).
FULL_NTU = dict(num_classes=60, num_people=2, num_points=24, kernel_size=7, num_heads=32, attn_drop=0.5,
                head_drop=0.0, rel=True, drop_path=0.2, type_1_size=(8, 8), type_2_size=(8, 12), type_3_size=(8, 8),
                type_4_size=(8, 12), mlp_ratio=4.0, index_t=True)


def randomise_batch_norm(model, generator):
    # Fresh BatchNorms are the identity in eval; random statistics make the test see them.
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=generator) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=generator) * 0.1)
            m.num_batches_tracked.fill_(123)


def inputs(args, batch, generator):
    C, T, V, M = args.get('in_channels', 3), args.get('num_frames', 64), args['num_points'], args['num_people']
    x = torch.randn(batch, C, T, V, M, generator=generator)
    # index_t as the feeder makes it: sampled frame positions, normalised to [-1, 1]
    index_t = torch.sort(torch.rand(batch, T, generator=generator) * 2 - 1, dim=1).values
    return x, index_t


def run_official(model, x, index_t):
    model.eval()
    with torch.no_grad():
        return model(x, index_t)


# ------------------------------------------------------------------------------------------
# Commands
# ------------------------------------------------------------------------------------------

def fixtures(repo, out):
    module = official_module(repo)
    os.makedirs(out, exist_ok=True)
    for name, args in SMALL.items():
        torch.manual_seed(15)
        generator = torch.Generator().manual_seed(15)
        model = module.SkateFormer(**args)
        randomise_batch_norm(model, generator)
        x, index_t = inputs(args, 2, generator)
        logits = run_official(model, x, index_t)
        state = model.state_dict()
        path = os.path.join(out, f'{name}.pt')
        if name == 'ntu-small':
            torch.save(state, path)  # as the official main.py saves: the bare state dict
        else:
            # as mmcv / PYSKL save (weights under 'state_dict', with meta) from a DDP model
            torch.save({'meta': {'epoch': 3, 'note': 'fixture', 'lr': [0.001]},
                        'state_dict': OrderedDict(('module.' + k, v) for k, v in state.items())}, path)
        write_safetensors(os.path.join(out, f'{name}.io.safetensors'),
                          OrderedDict(x=x, index_t=index_t, logits=logits),
                          {'args': json.dumps(args), 'torch': torch.__version__})
        print(f'{path}: {sum(p.numel() for p in model.parameters())} parameters, logits {tuple(logits.shape)}')

    # A few tensors that exercise float16, int64 and a strided view of a shared storage.
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    misc = OrderedDict(half=torch.tensor([[1.5, -2.0, 65504.0], [0.0, 2 ** -24, -0.25]], dtype=torch.float16),
                       long=torch.tensor([3, -1, 2 ** 40], dtype=torch.int64), view=base.t(), row=base[1])
    torch.save(misc, os.path.join(out, 'misc.pt'))
    write_safetensors(os.path.join(out, 'misc.safetensors'), OrderedDict((k, v.contiguous()) for k, v in misc.items()),
                      {'written_by': 'scripts/pytorch-fixtures.py'})

    # A torch.save file whose pickle names os.system: loading it with torch.load would run a command.
    class Payload:
        def __reduce__(self):
            return (os.system, ('echo this would run',))
    torch.save({'weight': torch.zeros(2), 'payload': Payload()}, os.path.join(out, 'foreign-global.pt'))
    # A whole pickled module (needs the class): not a state dict either.
    torch.save({'model': nn.Linear(2, 2)}, os.path.join(out, 'pickled-module.pt'))


def full(repo, out):
    module = official_module(repo)
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(1)
    generator = torch.Generator().manual_seed(1)
    model = module.SkateFormer_(**FULL_NTU)
    randomise_batch_norm(model, generator)
    x, index_t = inputs(dict(FULL_NTU, num_frames=64), 2, generator)
    logits = run_official(model, x, index_t)
    torch.save(model.state_dict(), os.path.join(out, 'checkpoint.pt'))
    write_safetensors(os.path.join(out, 'io.safetensors'), OrderedDict(x=x, index_t=index_t, logits=logits),
                      {'args': json.dumps(FULL_NTU), 'torch': torch.__version__})
    print(f'{out}/checkpoint.pt: {sum(p.numel() for p in model.parameters())} parameters')


def check(repo, weights, io):
    module = official_module(repo)
    state, metadata = read_safetensors(weights)
    args = json.loads(metadata['skateformer_args'])
    model = module.SkateFormer(**args)
    model.load_state_dict(state, strict=True)
    tensors, _ = read_safetensors(io)
    logits = run_official(model, tensors['x'], tensors['index_t'])
    print(json.dumps({'logits': logits.tolist(), 'parameters': sum(p.numel() for p in model.parameters())}))


if __name__ == '__main__':
    if len(sys.argv) < 4 or sys.argv[1] not in ('fixtures', 'full', 'check'):
        sys.exit(__doc__)
    {'fixtures': fixtures, 'full': full, 'check': check}[sys.argv[1]](*sys.argv[2:])
