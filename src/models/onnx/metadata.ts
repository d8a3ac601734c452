/**
 * What a skelact ONNX file says about itself, in the model's `metadata_props` (ONNX's
 * key/value strings): the format and its version, the input layout, the class names and the
 * whole skelact manifest without its weights (data pipeline settings: sampling, modality,
 * normalisation, preprocessing). Read back with protobufjs and a two-message subset of
 * onnx.proto (the fields skipped are not decoded), so this module also runs in browsers.
 */
import protobuf from 'protobufjs/light.js';
import { SkelactError } from '../../core/errors.js';

export const ONNX_FORMAT = 'skelact-onnx';
/** Bumped when the graph's inputs, outputs or metadata change meaning. */
export const ONNX_FORMAT_VERSION = 1;

export const METADATA_KEYS = {
  format: 'skelact.format',
  version: 'skelact.version',
  inputs: 'skelact.inputs',
  classNames: 'skelact.classNames',
  manifest: 'skelact.manifest',
  quantization: 'skelact.quantization',
} as const;

/** One graph input as the metadata describes it. */
export interface OnnxInputSpec {
  readonly name: string;
  /** e.g. ['batch', 64, 24, 3]. */
  readonly shape: ReadonlyArray<number | string>;
  readonly layout: string;
}

export class OnnxModelError extends SkelactError {
  readonly code = 'onnx-model';

  constructor(where: string, message: string) {
    super(`ONNX model ${where}: ${message}`);
  }
}

// ModelProto.metadata_props = 14 and StringStringEntryProto {key = 1, value = 2}, as in onnx.proto.
const subset = protobuf.Root.fromJSON({
  nested: {
    onnx: {
      nested: {
        StringStringEntryProto: { fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            metadataProps: { rule: 'repeated', type: 'StringStringEntryProto', id: 14 },
          },
        },
      },
    },
  },
});
const ModelMetadata = subset.lookupType('onnx.ModelProto');

/** The metadata_props of an ONNX file, checked to be a skelact model of this format version. */
export function readOnnxMetadata(bytes: Uint8Array, where: string): Record<string, string> {
  let decoded: { metadataProps?: Array<{ key: string; value: string }> };
  try {
    decoded = ModelMetadata.decode(bytes) as unknown as typeof decoded;
  } catch (e) {
    throw new OnnxModelError(where, `not an ONNX model file (${(e as Error).message})`);
  }
  const meta = Object.fromEntries((decoded.metadataProps ?? []).map((p) => [p.key, p.value]));
  if (meta[METADATA_KEYS.format] !== ONNX_FORMAT)
    throw new OnnxModelError(
      where,
      `has no skelact metadata ('${METADATA_KEYS.format}'); export it with \`skelact export --format onnx\``,
    );
  const version = Number(meta[METADATA_KEYS.version]);
  if (version !== ONNX_FORMAT_VERSION) {
    throw new OnnxModelError(
      where,
      `was exported by a skelact with ONNX format version ${meta[METADATA_KEYS.version]}; this skelact reads version ${ONNX_FORMAT_VERSION} (export the model again)`,
    );
  }
  for (const key of [METADATA_KEYS.inputs, METADATA_KEYS.classNames, METADATA_KEYS.manifest]) {
    if (meta[key] === undefined) throw new OnnxModelError(where, `metadata '${key}' is missing`);
  }
  return meta;
}
