/**
 * PSUMNet's tables as data (skelemoa/psumnet @8097774, `model/psumnet.py` and `ensemble.py`;
 * see docs/reference models.md §2). Stream joint sets live in the layout files
 * (`partStreams`), so every layout gets its own.
 */
import type { PartStreamName } from '../../graph/parts.js';

/** CTR-GCN's ten layers: width as a multiple of the base width (64 in the paper) and temporal stride. */
export const PSUMNET_LAYERS = {
  l1: { width: 1, stride: 1 },
  l2: { width: 1, stride: 1 },
  l3: { width: 1, stride: 1 },
  l4: { width: 1, stride: 1 },
  l5: { width: 2, stride: 2 },
  l6: { width: 2, stride: 1 },
  l7: { width: 2, stride: 1 },
  l8: { width: 4, stride: 2 },
  l9: { width: 4, stride: 1 },
  l10: { width: 4, stride: 1 },
} as const;
export type PsumnetLayerName = keyof typeof PSUMNET_LAYERS;

/** The layers each stream keeps: body all 10; hand l1, l5–l9; leg l1, l5, l6, l8. */
export const STREAM_LAYERS: Readonly<Record<PartStreamName, readonly PsumnetLayerName[]>> = {
  body: ['l1', 'l2', 'l3', 'l4', 'l5', 'l6', 'l7', 'l8', 'l9', 'l10'],
  hand: ['l1', 'l5', 'l6', 'l7', 'l8', 'l9'],
  leg: ['l1', 'l5', 'l6', 'l8'],
};

export type FusionWeights = Readonly<Record<PartStreamName, number>>;

/** Late-fusion weights α (body, hand, leg) per benchmark, from PSUMNet's `ensemble.py`. */
export const PSUMNET_FUSION_WEIGHTS = {
  'ntu60-xsub': { body: 2, hand: 1.8, leg: 0.7 },
  'ntu60-xview': { body: 2.1, hand: 1.6, leg: 0.7 },
  'ntu120-xsub': { body: 2.2, hand: 1.5, leg: 0.7 },
  'ntu120-xset': { body: 2.1, hand: 2, leg: 0.8 },
  'ntu60-x': { body: 3.4, hand: 2, leg: 1 },
  'ntu120-x': { body: 2.4, hand: 2.2, leg: 1 },
} as const satisfies Record<string, FusionWeights>;

/** The modalities stacked into the 12 input channels, in this order (each 3 channels). */
export const UNIFIED_MODALITIES = ['j', 'b', 'jm', 'bm'] as const;
