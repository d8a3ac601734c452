"""Where Kinect v1's trunk joints lie, measured on NW-UCLA (dev-time tool, numpy only).

The BlazePose-33 -> Kinect-20 table (src/pose/mappings/blazepose-33_to_kinect-20.json)
synthesises HipCenter, Spine and ShoulderCenter from the hips, shoulders and head; its
ratios come from this script:  python3 scripts/measure-kinect20-ratios.py ../shared/data/nw_ucla_train
"""
import glob
import json
import sys

import numpy as np

folder = sys.argv[1] if len(sys.argv) > 1 else '../shared/data/nw_ucla_train'
files = sorted(glob.glob(f'{folder}/*.json'))[::5]
x = np.concatenate([np.array(json.load(open(f))['skeletons'], dtype=float) for f in files])
hip_c, spine, sh_c, head = x[:, 0], x[:, 1], x[:, 2], x[:, 3]
mid_hips = (x[:, 12] + x[:, 16]) / 2
mid_shoulders = (x[:, 4] + x[:, 8]) / 2


def along(p, a, b):
    ab = b - a
    return ((p - a) * ab).sum(1) / (ab * ab).sum(1)


print(f'{len(files)} sequences, {len(x)} frames')
for name, p, a, b in [('HipCenter', hip_c, mid_hips, mid_shoulders), ('Spine', spine, mid_hips, mid_shoulders), ('ShoulderCenter', sh_c, mid_shoulders, head)]:
    t = along(p, a, b)
    print(f'{name}: {t.mean():.3f} ± {t.std():.3f} of the way')
