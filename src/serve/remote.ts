/** Stream and repetition classifiers from what a web page has: a model's URL, a CSV's text. */
import { parseMlkitFitness } from '../data/formats/mlkit-fitness.js';
import { loadModelFromUrl } from '../models/remote.js';
import { ModelPoseClassifier } from './pose-model-classifier.js';
import { PoseClassifier } from './reps.js';
import { StreamClassifier, type StreamClassifierOptions } from './stream-classifier.js';

/** A stream classifier for a model at a URL (the folder `skelact train` or `skelact export` wrote). */
export async function streamClassifierFromUrl(
  baseUrl: string,
  options: StreamClassifierOptions = {},
): Promise<StreamClassifier> {
  const { model, manifest } = await loadModelFromUrl(baseUrl);
  return new StreamClassifier(model, manifest, options);
}

/** A pose classifier for repetition counting from the text of a samples CSV (ML Kit's format, any class names). */
export function poseClassifierFromCsv(text: string, fileName = 'samples.csv'): PoseClassifier {
  const { samples } = parseMlkitFitness(text, fileName, { classes: 'any' });
  return PoseClassifier.fromCsvSamples(samples);
}

/** A trained single-pose model at a URL (e.g. the shipped `fitness` model) as the repetition counter's pose classifier. */
export async function poseModelClassifierFromUrl(baseUrl: string): Promise<ModelPoseClassifier> {
  const { model, manifest } = await loadModelFromUrl(baseUrl);
  try {
    return new ModelPoseClassifier(model, manifest);
  } catch (e) {
    model.dispose();
    throw e;
  }
}
