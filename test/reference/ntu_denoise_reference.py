"""Independent reference for skelact's NTU pipeline, written for the tests from the facts in
the reference notes (data.md §1.5): SGN/CTR-GCN body denoising, two-actor selection,
removal of frames without actors and CTR-GCN centring on SpineMid of actor 1's first frame.

It is deliberately written differently from the TypeScript (line-based reading, numpy
arrays, per-body dicts, the reference's contiguous per-body frame numbering) so that the
two agree only if both follow the rules.

Usage: python3 ntu_denoise_reference.py FILE... ; prints one JSON object per file:
{"name", "actors", "frames", "data": flat list in [actors, frames, 25, 3] order}
"""
import json
import sys

import numpy as np

LEN_THRES = 11
SPREAD_RATIO = 0.8
SPREAD_FRAMES = 0.69754


def read_bodies(path):
    with open(path, 'r') as f:
        lines = [l.strip() for l in f if l.strip() != '']
    pos = 0
    n_frames = int(lines[pos]); pos += 1
    bodies = {}
    valid = -1
    for _ in range(n_frames):
        n_bodies = int(lines[pos]); pos += 1
        if n_bodies == 0:
            continue
        valid += 1
        for _ in range(n_bodies):
            body_id = lines[pos].split()[0]; pos += 1
            n_joints = int(lines[pos]); pos += 1
            joints = np.array([[float(v) for v in lines[pos + j].split()[:3]] for j in range(n_joints)], dtype=np.float32)
            pos += n_joints
            if body_id not in bodies:
                bodies[body_id] = {'joints': [joints], 'interval': [valid]}
            else:
                bodies[body_id]['joints'].append(joints)
                bodies[body_id]['interval'].append(bodies[body_id]['interval'][-1] + 1)
    for b in bodies.values():
        b['joints'] = np.stack(b['joints'])  # (frames, 25, 3)
        b['motion'] = float(np.sum(np.var(b['joints'].reshape(-1, 3).astype(np.float64), axis=0)))
    return bodies, valid + 1


def denoise(bodies):
    bodies = {k: v for k, v in bodies.items() if len(v['interval']) > LEN_THRES}
    if len(bodies) == 1:
        return list(bodies.items())
    for body_id in list(bodies.keys()):
        if len(bodies) == 1:
            break
        b = bodies[body_id]
        x = b['joints'][:, :, 0]
        y = b['joints'][:, :, 1]
        ok = np.where((x.max(1) - x.min(1)) <= SPREAD_RATIO * (y.max(1) - y.min(1)))[0]
        noisy = len(b['interval']) - len(ok)
        if noisy == 0:
            continue
        if noisy / len(b['interval']) >= SPREAD_FRAMES:
            del bodies[body_id]
        else:
            m = float(np.sum(np.var(b['joints'][ok].reshape(-1, 3).astype(np.float64), axis=0)))
            b['motion'] = min(b['motion'], m)
    return sorted(bodies.items(), key=lambda kv: kv[1]['motion'], reverse=True)


def actors(bodies, n_frames):
    if len(bodies) == 1:
        out = np.zeros((n_frames, 75), dtype=np.float32)
        b = list(bodies.values())[0]
        out[b['interval'][0]:b['interval'][-1] + 1] = b['joints'].reshape(-1, 75)
        return out, 1
    ranked = denoise(dict(bodies))
    out = np.zeros((n_frames, 150), dtype=np.float32)
    _, a1 = ranked[0]
    s1, e1 = a1['interval'][0], a1['interval'][-1]
    out[s1:e1 + 1, :75] = a1['joints'].reshape(-1, 75)
    s2, e2 = 0, 0
    for _, b in ranked[1:]:
        s, e = b['interval'][0], b['interval'][-1]
        if min(e1, e) - max(s1, s) <= 0:
            out[s:e + 1, :75] = b['joints'].reshape(-1, 75)
            s1, e1 = min(s, s1), max(e, e1)
        elif min(e2, e) - max(s2, s) <= 0:
            out[s:e + 1, 75:] = b['joints'].reshape(-1, 75)
            s2, e2 = min(s, s2), max(e, e2)
    if len(ranked) == 1:
        out = out[:, :75]
    keep = np.where(out.sum(axis=1) != 0)[0]
    out = out[keep]
    return out, out.shape[1] // 75


def centre(joints, n_actors):
    first = next(i for i in range(len(joints)) if np.any(joints[i, :75] != 0))
    origin = joints[first, 3:6].copy()
    missing = [np.where(joints[:, 75 * a:75 * (a + 1)].sum(axis=1) == 0)[0] for a in range(n_actors)]
    joints = joints - np.tile(origin, 25 * n_actors)
    if n_actors == 2:
        for a in range(2):
            joints[missing[a], 75 * a:75 * (a + 1)] = 0
    return joints


for path in sys.argv[1:]:
    bodies, n_frames = read_bodies(path)
    joints, n_actors = actors(bodies, n_frames)
    joints = centre(joints, n_actors)
    data = joints.reshape(len(joints), n_actors, 25, 3).transpose(1, 0, 2, 3)
    name = path.rsplit('/', 1)[-1].replace('.skeleton', '')
    print(json.dumps({'name': name, 'actors': n_actors, 'frames': len(joints), 'data': [round(float(v), 6) for v in data.ravel()]}))
