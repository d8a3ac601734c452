"""
Trains the OFFICIAL SkateFormer (model and NW-UCLA feeder of a SkateFormer checkout) on one
NW-UCLA view and validates on another, with the recipe of a skelact experiment config, so that
the official code and skelact can be compared on the same data, config and number of steps
(issue 14, item 1; results in docs/nw-ucla-accuracy.md). Development tool: the checkout is only
imported, never copied.

Usage (Debian's PyTorch: /usr/bin/python3):
    /usr/bin/python3 scripts/official-nw-ucla-train.py /path/to/SkateFormer \
        --config configs/cpu/nw-ucla-official-compare.json --seed 1 --out /tmp/official-run \
        [--data ../shared/data/nw_ucla_train] [--train-views 1] [--val-views 2] [--threads 1]

What comes from the checkout: feeders/feeder_ucla.py's Feeder.__getitem__ (centring, random
view, min-max, frame sampling, drop-axis, drop-joints, index_t) and model/SkateFormer.py. Only
the Feeder's constructor is replaced (its file lists are hard-wired to views 1+2 / view 3 under
data/NW-UCLA/all_sqe/, and its clip length to 64 frames): the subclass below lists the JSON files
of the chosen views in --data and sets the frames from the config. The training loop is that of
the checkout's main.py (AdamW on every parameter, timm's cosine schedule stepped per iteration
with a non-prefix warm-up, label-smoothed cross-entropy 0.1, gradient clipping at norm 1,
shuffled batches with the last partial one dropped); it is written out here because main.py
needs CUDA, tensorboard and timm's scheduler.

The official feeder's augmentation is fixed (+-60 deg views, scale 0.5-1.5, per-axis min-max,
drop-axis 0.5, drop-joints 0.5 over 16-32 frames), so the config must ask skelact for exactly
that (normalize 'ucla-minmax', augment preset 'ucla-skateformer' with default strengths); a
config that asks for anything else is refused, naming the field.

Writes <out>/metrics.jsonl (one line per epoch: epoch, step, lr, trainLoss, trainAccuracy,
valTop1 on evaluation epochs, seconds, samplesPerSecond; the field names of skelact's own
metrics.jsonl) and <out>/per-class.json (the last epoch's validation accuracy per class).
"""
import argparse
import glob
import importlib.util
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
CLASSES = ['pick up with one hand', 'pick up with two hands', 'drop trash', 'walk around', 'sit down',
           'stand up', 'donning', 'doffing', 'throw', 'carry']


def fail(message):
    print(f'official-nw-ucla-train: {message}', file=sys.stderr)
    sys.exit(2)


def load_config(path):
    with open(path) as f:
        config = json.load(f)
    model, data, augment, optim = config.get('model', {}), config.get('data', {}), config.get('augment', {}), config.get('optim', {})

    def need(section, name, value, expected, why):
        if value != expected:
            fail(f'{path}: {section}.{name} is {json.dumps(value)}, expected {json.dumps(expected)} ({why})')

    need('model', 'kind', model.get('kind'), 'skateformer', 'only SkateFormer is compared')
    need('model', 'preset', model.get('preset'), 'kinect20', 'the official NW-UCLA model')
    need('data', 'normalize', data.get('normalize'), 'ucla-minmax', "the official feeder's normalisation")
    need('data', 'sampling', data.get('sampling'), 'ucla', "the official feeder's frame sampling")
    need('data', 'modality', data.get('modality', 'j'), 'j', 'joints only')
    need('augment', 'preset', augment.get('preset'), 'ucla-skateformer', "the official feeder's augmentation")
    for field in ('viewDegrees', 'viewScale', 'dropAxisProbability', 'dropJointsProbability'):
        need('augment', field, augment.get(field), None, "the official feeder's strengths are fixed (60 deg, 0.5-1.5, 0.5, 0.5)")
    need('optim', 'optimizer', optim.get('optimizer', 'adamw'), 'adamw', "main.py's AdamW")
    need('optim', 'decayParameters', optim.get('decayParameters'), 'all', 'main.py decays every parameter')
    need('optim', 'schedule', optim.get('schedule'), 'cosine', "main.py's cosine schedule")
    if data.get('frames', 64) < 32:
        fail(f"{path}: data.frames is {data.get('frames')}, expected at least 32 (the official drop-joints draws 16-32 of the clip's frames)")
    return config


def official_feeder_class(checkout, frames):
    spec = importlib.util.spec_from_file_location('official_feeder_ucla', os.path.join(checkout, 'feeders', 'feeder_ucla.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # The feeder's test branch calls np.int, which NumPy 1.24 removed; it meant the builtin int.
    if not hasattr(np, 'int'):
        np.int = int

    class ViewFeeder(module.Feeder):
        """The official Feeder with its file list taken from the views asked for."""

        def __init__(self, data_dir, views, train):
            files = sorted(f for v in views for f in glob.glob(os.path.join(data_dir, f'a*_s*_e*_v{v:02d}.json')))
            if not files:
                fail(f'{data_dir}: no NW-UCLA JSON file of view(s) {views}')
            self.data_dict = []
            self.data = []
            for file in files:
                with open(file) as f:
                    record = json.load(f)
                self.data_dict.append({'file_name': record['file_name'], 'length': len(record['skeletons']), 'label': record['label']})
                self.data.append(np.array(record['skeletons']))
            self.label = [int(d['label']) - 1 for d in self.data_dict]
            self.train_val = 'train' if train else 'val'
            self.time_steps = frames
            self.data_type = 'j'
            self.repeat = 1
            self.p = 0.5
            self.partition = True
            self.right_arm = np.array([5, 6, 7, 8]) - 1
            self.left_arm = np.array([9, 10, 11, 12]) - 1
            self.right_leg = np.array([13, 14, 15, 16]) - 1
            self.left_leg = np.array([17, 18, 19, 20]) - 1
            self.torso = np.array([2, 3, 1, 4]) - 1
            self.new_idx = np.concatenate((self.right_arm, self.left_arm, self.right_leg, self.left_leg, self.torso), axis=-1)

    return ViewFeeder


def official_model(checkout, config):
    sys.path.insert(0, HERE)
    from skateformer_official import official_module
    m = config['model']
    frames = config['data']['frames']
    window = m.get('partitionFrames', 8)
    # Kinect-20 regrouped: 5 parts of 4 joints; the official NW-UCLA type sizes.
    # SkateFormer_() fixes depths, channels and embed_dim to the full model; the class takes them.
    return official_module(checkout).SkateFormer(
        num_classes=10, num_people=1, num_points=20, num_frames=frames,
        embed_dim=m.get('embedDim', 96), channels=tuple(m.get('channels', [96, 192, 192, 192])),
        depths=tuple(m.get('depths', [2, 2, 2, 2])), num_heads=m.get('heads', 32), kernel_size=m.get('kernel', 7),
        type_1_size=(window, 4), type_2_size=(window, 5), type_3_size=(window, 4), type_4_size=(window, 5),
        attn_drop=m.get('attnDrop', 0.5), head_drop=m.get('headDrop', 0.0), drop_path=m.get('dropPath', 0.2),
        mlp_ratio=m.get('mlpRatio', 1.0), rel=True, index_t=True)


def cosine_lr(step, base, total, warmup, warmup_lr, min_lr):
    # timm CosineLRScheduler, one cycle, t_in_epochs=False, warmup_prefix=False (main.py).
    if step < warmup:
        return warmup_lr + step * (base - warmup_lr) / warmup
    if step >= total:
        return min_lr
    return min_lr + 0.5 * (base - min_lr) * (1 + math.cos(math.pi * step / total))


def evaluate(model, loader):
    model.eval()
    correct = np.zeros(10)
    count = np.zeros(10)
    with torch.no_grad():
        for data, index_t, label, _ in loader:
            pred = model(data.float(), index_t.float()).argmax(1)
            for p, l in zip(pred.tolist(), label.tolist()):
                count[l] += 1
                correct[l] += p == l
    return correct.sum() / count.sum(), correct, count


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('checkout')
    parser.add_argument('--config', required=True)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--out', required=True)
    parser.add_argument('--data', default=os.path.join(HERE, '..', '..', 'shared', 'data', 'nw_ucla_train'))
    parser.add_argument('--train-views', default='1')
    parser.add_argument('--val-views', default='2')
    parser.add_argument('--threads', type=int, default=1)
    args = parser.parse_args()
    if not os.path.isfile(os.path.join(args.checkout, 'feeders', 'feeder_ucla.py')):
        fail(f'{args.checkout}: not a SkateFormer checkout (no feeders/feeder_ucla.py)')
    config = load_config(args.config)
    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)

    frames = config['data']['frames']
    Feeder = official_feeder_class(args.checkout, frames)
    views = lambda s: [int(v) for v in s.split(',')]
    train_set = Feeder(args.data, views(args.train_views), True)
    val_set = Feeder(args.data, views(args.val_views), False)
    optim_cfg = config['optim']
    batch = optim_cfg['batchSize']
    g = torch.Generator()
    g.manual_seed(args.seed)
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=batch, shuffle=True, drop_last=True, num_workers=0, generator=g)
    val_loader = torch.utils.data.DataLoader(val_set, batch_size=64, shuffle=False, drop_last=False, num_workers=0)

    model = official_model(args.checkout, config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=optim_cfg['lr'], weight_decay=optim_cfg.get('weightDecay', 0),
                                  betas=tuple(optim_cfg.get('betas', [0.9, 0.999])), eps=optim_cfg.get('eps', 1e-8))
    smoothing = optim_cfg.get('labelSmoothing', 0)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=smoothing)
    epochs = optim_cfg['epochs']
    iters = len(train_loader)
    total, warmup = int(epochs * iters), int(optim_cfg.get('warmupEpochs', 0) * iters)
    eval_every = config.get('evalEvery', 1)
    clip = optim_cfg.get('clipGradNorm', 0)

    os.makedirs(args.out, exist_ok=True)
    metrics_path = os.path.join(args.out, 'metrics.jsonl')
    open(metrics_path, 'w').close()
    print(json.dumps({'train': len(train_set), 'val': len(val_set), 'iterations': iters, 'parameters': sum(p.numel() for p in model.parameters()), 'threads': torch.get_num_threads()}), flush=True)
    step = 0
    for epoch in range(1, epochs + 1):
        model.train()
        started = time.perf_counter()
        train_seconds = 0.0
        loss_sum = correct = seen = 0
        lr = 0.0
        for data, index_t, label, _ in train_loader:
            t0 = time.perf_counter()
            lr = cosine_lr(step, optim_cfg['lr'], total, warmup, optim_cfg.get('warmupLr', 1e-7), optim_cfg.get('minLr', 0))
            for group in optimizer.param_groups:
                group['lr'] = lr
            step += 1
            output = model(data.float(), index_t.float())
            loss = loss_fn(output, label)
            optimizer.zero_grad()
            loss.backward()
            if clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            train_seconds += time.perf_counter() - t0
            loss_sum += loss.item()
            correct += (output.argmax(1) == label).sum().item()
            seen += label.numel()
        record = {'epoch': epoch, 'step': step, 'lr': lr, 'trainLoss': loss_sum / iters, 'trainAccuracy': correct / seen}
        if epoch % eval_every == 0 or epoch == epochs:
            top1, per_correct, per_count = evaluate(model, val_loader)
            record['valTop1'] = top1
            if epoch == epochs:
                with open(os.path.join(args.out, 'per-class.json'), 'w') as f:
                    json.dump({'split': f'views {args.train_views} -> {args.val_views}', 'seed': args.seed, 'epoch': epoch,
                               'classes': [{'name': n, 'correct': int(c), 'count': int(k)} for n, c, k in zip(CLASSES, per_correct, per_count)]}, f, indent=1)
        record['seconds'] = time.perf_counter() - started
        record['samplesPerSecond'] = seen / max(train_seconds, 1e-9)
        with open(metrics_path, 'a') as f:
            f.write(json.dumps(record) + '\n')
        print(json.dumps(record), flush=True)


if __name__ == '__main__':
    main()
