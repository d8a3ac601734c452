"""
The official SkateFormer model file, importable without timm: its model/SkateFormer.py imports
a few helpers from timm.models.layers, which Debian does not package, so stand-ins of the same
behaviour are installed under those names first. Shared by scripts/pytorch-fixtures.py and
bench/pytorch_skateformer.py (development tools; the official code itself is never copied here).
"""
import os
import sys
import types

import torch.nn as nn


def install_timm_stand_ins():
    try:
        import timm.models.layers  # noqa: F401
        return
    except ImportError:
        pass

    def trunc_normal_(tensor, mean=0., std=1., a=-2., b=2.):
        return nn.init.trunc_normal_(tensor, mean=mean, std=std, a=a, b=b)

    def drop_path(x, drop_prob=0., training=False, scale_by_keep=True):
        if drop_prob == 0. or not training:
            return x
        keep = 1 - drop_prob
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
        return x * mask / keep if scale_by_keep else x * mask

    class DropPath(nn.Module):
        def __init__(self, drop_prob=0., scale_by_keep=True):
            super().__init__()
            self.drop_prob = drop_prob
            self.scale_by_keep = scale_by_keep

        def forward(self, x):
            return drop_path(x, self.drop_prob, self.training, self.scale_by_keep)

    class Mlp(nn.Module):
        # Linear → activation → dropout → Linear → dropout, parameters named fc1 / fc2 as timm's.
        def __init__(self, in_features, hidden_features=None, out_features=None, act_layer=nn.GELU, drop=0.):
            super().__init__()
            hidden_features = hidden_features or in_features
            out_features = out_features or in_features
            self.fc1 = nn.Linear(in_features, hidden_features)
            self.act = act_layer()
            self.drop1 = nn.Dropout(drop)
            self.fc2 = nn.Linear(hidden_features, out_features)
            self.drop2 = nn.Dropout(drop)

        def forward(self, x):
            return self.drop2(self.fc2(self.drop1(self.act(self.fc1(x)))))

    def unused(*args, **kwargs):
        raise NotImplementedError('not needed by SkateFormer')

    timm = types.ModuleType('timm')
    models = types.ModuleType('timm.models')
    layers = types.ModuleType('timm.models.layers')
    for name, value in dict(drop_path=drop_path, trunc_normal_=trunc_normal_, Mlp=Mlp, DropPath=DropPath,
                            create_act_layer=unused, get_norm_act_layer=unused, create_conv2d=unused).items():
        setattr(layers, name, value)
    timm.models = models
    models.layers = layers
    sys.modules.update({'timm': timm, 'timm.models': models, 'timm.models.layers': layers})


def official_module(repo):
    install_timm_stand_ins()
    sys.path.insert(0, os.path.abspath(repo))
    from model import SkateFormer as module  # the checkout's model/SkateFormer.py
    return module
