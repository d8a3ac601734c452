/**
 * A trained single-pose model as the repetition counter's pose classifier: the shipped `fitness`
 * model (ST-GCN tiny on ML Kit's push-up and squat poses) or any saved model on BlazePose-33
 * landmarks. One pose becomes a one-frame clip and goes through the model's own test-time
 * pipeline (the normalisation and frame sampling it was trained with), exactly as `skelact eval`
 * feeds a one-frame sample of the ML Kit CSV; the confidence of a class is its softmax
 * probability, so the counter's thresholds (60 % / 40 % of the range) are probabilities 0.6 / 0.4.
 */
import * as tf from '@tensorflow/tfjs';
import { makeClip } from '../graph/clip.js';
import { getLayout, type Layout } from '../graph/layout.js';
import { type DataConfig, testDataConfigOf } from '../data/config.js';
import { testTimeClip } from '../data/transforms/clip-pipeline.js';
import { loadModel, type ModelManifest } from '../models/io.js';
import { toModelBatch } from '../models/input.js';
import { createModelFromManifest } from '../models/registry.js';
import type { SkeletonModel } from '../models/types.js';
import { poseModelProblem, type ClassConfidence, type Point3, type PoseConfidenceSource } from './reps.js';

const BLAZEPOSE_JOINTS = 33;

export class ModelPoseClassifier implements PoseConfidenceSource {
  readonly classes: readonly string[];
  readonly confidenceRange = 1;
  private readonly layout: Layout;
  private readonly data: DataConfig;

  constructor(
    readonly model: SkeletonModel,
    readonly manifest: Omit<ModelManifest, 'weightsManifest'>,
  ) {
    const problem = poseModelProblem(manifest);
    if (problem) throw new Error(problem);
    this.classes = manifest.classNames;
    this.layout = getLayout(manifest.layout);
    this.data = testDataConfigOf(manifest);
  }

  /** Loads a saved model folder or a shipped model by name (Node). */
  static load(nameOrDir: string): ModelPoseClassifier {
    const { model, manifest } = loadModel(nameOrDir, createModelFromManifest);
    try {
      return new ModelPoseClassifier(model, manifest);
    } catch (e) {
      model.dispose();
      throw new Error(`${nameOrDir}: ${(e as Error).message}`);
    }
  }

  /** The probability of each class for one pose's 33 landmarks (image pixels, z on the x scale). */
  classify(landmarks: readonly Point3[]): ClassConfidence {
    if (landmarks.length !== BLAZEPOSE_JOINTS)
      throw new Error(`a pose has ${BLAZEPOSE_JOINTS} landmarks, got ${landmarks.length}`);
    const probabilities = this.probabilities([landmarks]);
    return new Map(this.classes.map((c, k) => [c, probabilities[k]]));
  }

  /** Probabilities of many poses in one forward pass: [poses × classes], row-major. */
  probabilities(poses: ReadonlyArray<readonly Point3[]>): Float32Array {
    const model = this.model;
    const T = model.frames;
    const spec = { persons: model.persons, jointOrder: model.jointOrder, frames: T, channels: model.inChannels };
    const x = new Float32Array(poses.length * T * model.persons * model.jointOrder.length * model.inChannels);
    const indexT = new Float32Array(poses.length * T);
    poses.forEach((pose, b) => {
      const clip = makeClip(Float32Array.from(pose.flat()), 1, 1, BLAZEPOSE_JOINTS, 3);
      const prepared = testTimeClip(clip, this.data, this.layout, model);
      const one = toModelBatch([prepared.clip], spec, this.data.fillMissingPersons);
      x.set(one, b * one.length);
      indexT.set(prepared.indexT, b * T);
    });
    const V = model.persons * model.jointOrder.length;
    return tf.tidy(() => {
      const out = model.forward(
        {
          x: tf.tensor4d(x, [poses.length, T, V, model.inChannels]),
          indexT: tf.tensor2d(indexT, [poses.length, T]),
        },
        { training: false },
      );
      return tf.softmax(out.logits).dataSync() as Float32Array;
    });
  }

  dispose(): void {
    this.model.dispose();
  }
}
