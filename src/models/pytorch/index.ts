/** PyTorch interop: reading torch.save / safetensors weights, and the official SkateFormer's names. */
export { readCheckpoint, TorchCheckpointError, type ReadCheckpoint } from './checkpoint.js';
export { readPickle, PickleError, ALLOWED_GLOBALS } from './pickle.js';
export { parseSafetensors, writeSafetensors, SafetensorsError } from './safetensors.js';
export {
  skateFormerFromStateDict,
  skateFormerToStateDict,
  officialSkateFormerArgs,
  StateDictMismatchError,
} from './skateformer.js';
export { skateFormerNameMap, type MapRow } from './skateformer-names.js';
export type { HostTensor, StateDict } from './tensors.js';
