/**
 * Every `skelact` command as data: its name, the line `skelact --help` shows, whether it computes
 * with tensors (only those start a TensorFlow.js backend), and how to load its code. A command's
 * module is imported only when that command runs, so `skelact --help`, `--version`, `prepare`
 * and `inspect` never load TensorFlow.js, the pose engines or mathjs.
 */
import type { CommandModule } from 'yargs';
import type { GlobalOptions } from './output.js';

export interface CommandEntry {
  /** The first word on the command line. */
  readonly name: string;
  /** One line for `skelact --help`. */
  readonly describe: string;
  /**
   * Starts a TensorFlow.js backend (and prints the engine line) before the handler runs; a
   * function where it depends on the options (`extract --queue` only adds jobs).
   */
  readonly tensors: boolean | ((args: Record<string, unknown>) => boolean);
  /**
   * Reads tensors only asynchronously, so `--backend auto` may run it on a GPU through WebGPU
   * (Node's WebGPU has no synchronous read); auto passes webgpu over for the other commands.
   */
  readonly webgpu?: boolean;
  /** Imports the command's code: its yargs module (positionals, options, handler). */
  readonly load: () => Promise<CommandModule<GlobalOptions, never>>;
}

type Loaded = CommandModule<GlobalOptions, never>;
const pick =
  <K extends string>(key: K) =>
  (m: Record<K, unknown>): Loaded =>
    m[key] as Loaded;

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'quickstart',
    describe:
      'Run the pipeline on bundled synthetic NTU-format data: generate → prepare → inspect (plot one sample) → train a small SkateFormer → evaluate',
    tensors: true,
    webgpu: true,
    load: () => import('./commands/quickstart.js').then(pick('quickstartCommand')),
  },
  {
    name: 'synth',
    describe:
      'Write a seeded synthetic skeleton dataset (21 NTU-like actions, 1 and 2 persons) for tests, demos and benchmarks',
    tensors: false,
    load: () => import('./commands/synth.js').then(pick('synthCommand')),
  },
  {
    name: 'prepare',
    describe: 'Read raw skeleton files into a training-ready cache (float32 clips, labels, splits)',
    tensors: false,
    load: () => import('./commands/prepare.js').then(pick('prepareCommand')),
  },
  {
    name: 'inspect',
    describe: 'Show what a raw skeleton file or a prepared cache holds',
    tensors: false,
    load: () => import('./commands/inspect.js').then(pick('inspectCommand')),
  },
  {
    name: 'train',
    describe: 'Train a model (SkateFormer, ST-GCN, part streams) from an experiment config on a prepared cache',
    tensors: true,
    webgpu: true,
    load: () => import('./commands/train.js').then(pick('trainCommand')),
  },
  {
    name: 'eval',
    describe:
      'Evaluate a saved model on a cache split: top-1, top-5, per-class accuracy, confusion matrix, saved scores',
    tensors: true,
    webgpu: true,
    load: () => import('./commands/eval.js').then(pick('evalCommand')),
  },
  {
    name: 'ensemble',
    describe: 'Fuse the saved scores of several runs (e.g. joint + bone + motion streams) with weights',
    tensors: true,
    load: () => import('./commands/eval.js').then(pick('ensembleCommand')),
  },
  {
    name: 'predict',
    describe: 'Print the top classes a saved model gives the sequences of one raw skeleton file',
    tensors: true,
    webgpu: true,
    load: () => import('./commands/eval.js').then(pick('predictCommand')),
  },
  {
    name: 'model-info',
    describe: "Print a model's parameter count and the tensor shape after each stage",
    tensors: true,
    load: () => import('./commands/model-info.js').then(pick('modelInfoCommand')),
  },
  {
    name: 'models',
    describe:
      'List the pretrained models that ship with skelact (use a name as --model in predict, eval, classify, demo-web)',
    tensors: false,
    load: () => import('./commands/models.js').then(pick('modelsCommand')),
  },
  {
    name: 'extract',
    describe:
      'Extract per-frame body landmarks from a video (or every video in a folder) with MediaPipe PoseLandmarker; with --queue, as jobs for skelact worker',
    tensors: (args) => args.queue === undefined,
    load: () => import('./commands/extract.js').then(pick('extractCommand')),
  },
  {
    name: 'classify',
    describe: 'Classify a video or a pose file as a live stream: a timeline of actions with start and end times',
    tensors: true,
    load: () => import('./commands/classify.js').then(pick('classifyCommand')),
  },
  {
    name: 'reps',
    describe:
      "Count exercise repetitions in a video or pose file: each pose classified by the shipped fitness model (or a k-NN over your labelled samples, as ML Kit does), then ML Kit's smoothing and counter",
    tensors: true,
    load: () => import('./commands/reps.js').then(pick('repsCommand')),
  },
  {
    name: 'export',
    describe:
      'Export a saved model: a smaller skelact copy (weights as float16 or uint8), an ONNX file for ONNX Runtime (Node, web, mobile), or its weights for PyTorch',
    tensors: true,
    load: () => import('./commands/export.js').then(pick('exportCommand')),
  },
  {
    name: 'import',
    describe:
      'Turn an official PyTorch checkpoint (torch.save .pt/.pth, mmcv/PYSKL-wrapped, or .safetensors) into a saved model; nothing in the file is executed',
    tensors: true,
    load: () => import('./commands/import.js').then(pick('importCommand')),
  },
  {
    name: 'demo-web',
    describe:
      'Serve (on localhost) a page that recognises actions from the webcam or a dropped video, in the browser, and counts repetitions',
    tensors: true,
    load: () => import('./commands/demo-web.js').then(pick('demoWebCommand')),
  },
  {
    name: 'lt',
    describe: "Add a long-tailed training split to a cache (BRL's exponential profile; the test split is kept)",
    tensors: false,
    load: () => import('./commands/lt.js').then(pick('ltCommand')),
  },
  {
    name: 'text',
    describe: 'Text priors: embed sentences, rank classes by a sentence, make zero-shot benchmarks',
    tensors: true,
    load: () => import('./commands/text.js').then(pick('textCommand')),
  },
  {
    name: 'search',
    describe:
      'Rank the sequences of a cache split by similarity to a free-text description (a model trained with text priors)',
    tensors: true,
    load: () => import('./commands/text.js').then(pick('searchCommand')),
  },
  {
    name: 'worker',
    describe:
      'Run the jobs of a queue in Redis (pose extraction from extract --queue, training runs from sweep) until stopped',
    tensors: true,
    load: () => import('./commands/worker.js').then(pick('workerCommand')),
  },
  {
    name: 'queue',
    describe:
      "A job queue in Redis: its progress (waiting, running, done, failed, rate, ETA, failures' reasons), and retrying its failed jobs",
    tensors: false,
    load: () => import('./commands/queue.js').then(pick('queueCommand')),
  },
  {
    name: 'sweep',
    describe:
      'Add one training run per config and seed to a queue in Redis, for skelact worker; skelact ensemble then fuses the finished runs',
    tensors: false,
    load: () => import('./commands/sweep.js').then(pick('sweepCommand')),
  },
];

export function findCommand(name: string | undefined): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name);
}
