/**
 * Loading the TensorFlow.js graph models of the pose engines from the prepared files
 * (./assets.ts) in-process: an IOHandler that reads `model.json` and its weight files from
 * disk, so nothing goes through fetch or the network.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { poseAsset } from './assets.js';

/** An IOHandler for a graph model saved as `<name>.json` + weight files beside it. */
export function fileModelHandler(jsonPath: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as {
        modelTopology: object;
        format?: string;
        generatedBy?: string;
        convertedBy?: string | null;
        signature?: object;
        userDefinedMetadata?: Record<string, object>;
        weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
      };
      const buffers = json.weightsManifest.flatMap((group) =>
        group.paths.map((p) => readFileSync(join(dirname(jsonPath), p))),
      );
      const all = Buffer.concat(buffers);
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy ?? undefined,
        signature: json.signature,
        userDefinedMetadata: json.userDefinedMetadata,
        weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
    },
  };
}

/** The handler of one prepared TF.js pose model (`blazepose-full`, `movenet-multipose`, …). */
export function tfjsPoseModel(name: string): tf.io.IOHandler {
  return fileModelHandler(poseAsset(`tfjs/${name}.json`));
}

/** RGBA frame bytes → an int32 [H, W, 3] tensor (what the pose-detection models take). */
export function rgbTensor(
  rgba: Uint8Array,
  width: number,
  height: number,
  region?: { x0: number; y0: number; x1: number; y1: number },
): tf.Tensor3D {
  const x0 = region ? Math.max(0, Math.floor(region.x0)) : 0;
  const y0 = region ? Math.max(0, Math.floor(region.y0)) : 0;
  const x1 = region ? Math.min(width, Math.ceil(region.x1)) : width;
  const y1 = region ? Math.min(height, Math.ceil(region.y1)) : height;
  const w = Math.max(1, x1 - x0);
  const h = Math.max(1, y1 - y0);
  const rgb = new Int32Array(w * h * 3);
  let o = 0;
  for (let y = y0; y < y0 + h; y++) {
    let i = (y * width + x0) * 4;
    for (let x = 0; x < w; x++, i += 4) {
      rgb[o++] = rgba[i];
      rgb[o++] = rgba[i + 1];
      rgb[o++] = rgba[i + 2];
    }
  }
  return tf.tensor3d(rgb, [h, w, 3], 'int32');
}
