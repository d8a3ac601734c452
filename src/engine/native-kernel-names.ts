/**
 * The names of skelact's own native kernels, in one place: src/engine/native-kernels.ts
 * registers them (Node only), src/models/ops.ts asks for them by name (in every bundle, so it
 * imports this table, not the kernels). A name spelled differently on the two sides would
 * silently leave the fused path off.
 */

/**
 * GELU (erf form) and its gradient, one pass each: kernels of skelact's own (no tfjs op has
 * them), which src/models/ops.ts calls through tf.customGrad where they are registered.
 */
export const NATIVE_GELU = 'SkelactGelu';

export const NATIVE_GELU_GRAD = 'SkelactGeluGrad';

/**
 * Softmax over the last axis of x [..., R, C] plus an optional bias whose last two axes are
 * [R, C] and whose leading axes broadcast against x's (the attention maps' relative-position
 * bias): one pass instead of Add, Max, Sub, Exp, Sum, Div.
 */
export const NATIVE_BIAS_SOFTMAX = 'SkelactBiasSoftmax';

/** ds = p ⊙ (dp − r), r [..., R, 1]: the softmax backward once Σ dp ⊙ p per row is known. */
export const NATIVE_SOFTMAX_GRAD = 'SkelactSoftmaxGrad';

/**
 * One Skate-MSA branch in one kernel each way (src/models/ops.ts `partitionedAttention` calls
 * them): partition gather, q·kᵀ·scale + relative bias, softmax, attention dropout, ·v and the
 * un-partition. Inputs: chunk [B, …tokens, 3·H·d] (q | k | v, each head-major) and the bias
 * table [rows…, H]; attrs: the window tables and sizes, scale, dropout rate and seed. Outputs:
 * the branch [B, …tokens, H·d] and its dropout mask (bool [B·W·H·n·n], empty without dropout),
 * which the backward kernel takes back instead of drawing it again.
 */
export const NATIVE_SKATE_ATTENTION = 'SkelactSkateAttention';

/**
 * Its backward: inputs chunk, table, dy [B, …tokens, H·d] and (optional) the forward pass's
 * dropout mask; outputs d chunk and d table.
 */
export const NATIVE_SKATE_ATTENTION_GRAD = 'SkelactSkateAttentionGrad';

/**
 * The middle of a SkateFormer block without a split or a concat: the mapping output f
 * [B, …tokens, gC + tC + Σ 3·Hᵢ·dᵢ] holds G-Conv's input | T-Conv's input | one q | k | v chunk
 * per Skate-MSA branch; the kernel writes [B, …tokens, gC + tC + Σ Hᵢ·dᵢ] = G-Conv's output g |
 * T-Conv's output t | the branches, each branch reading its chunk at its channel offset of f
 * and writing at its offset of the output. Inputs f, g, t, table0…; attrs gChannels, tChannels
 * and `branches` (one SkateAttentionAttrs each). Outputs: the buffer and one dropout mask per
 * branch (as NATIVE_SKATE_ATTENTION's).
 */
export const NATIVE_SKATE_MIX = 'SkelactSkateMix';

/**
 * Its backward: inputs f, dy, dg, dt (G-Conv's and T-Conv's input gradients), table0…, mask0…;
 * outputs df (dg | dt | each branch's d chunk, in f's layout) and one d table per branch.
 */
export const NATIVE_SKATE_MIX_GRAD = 'SkelactSkateMixGrad';

/**
 * Channels [begin, begin + width) of x [..., C] as [..., width] (one copy of rows, for skateMix's
 * pieces: tfjs's Slice on wasm is a generic strided copy, several times slower here).
 */
export const NATIVE_COLUMNS = 'SkelactColumns';

/** Layer norm over the last axis: inputs x [..., C], gamma and beta [C]; attr eps. */
export const NATIVE_LAYER_NORM = 'SkelactLayerNorm';

/** Its backward: inputs x, gamma, dy; outputs dx, d gamma, d beta (statistics recomputed). */
export const NATIVE_LAYER_NORM_GRAD = 'SkelactLayerNormGrad';

/**
 * SkateFormer's G-Conv: x [..., V, G·c] mixed over tokens by A [G, V, V], one matrix per
 * channel group: y[..., v, g·c + k] = Σᵤ A[g, v, u] · x[..., u, g·c + k].
 */
export const NATIVE_GROUP_MIX = 'SkelactGroupMix';

/** Its backward: inputs x, a, dy; outputs dx and dA. */
export const NATIVE_GROUP_MIX_GRAD = 'SkelactGroupMixGrad';

/**
 * One AdamW step of one parameter (src/train/optimizer.ts): inputs p, m, v, g of one shape;
 * attrs an AdamWStep; outputs the new p, m and v. One kernel instead of about 13 per parameter
 * and step.
 */
export const NATIVE_ADAMW = 'SkelactAdamW';

/** The attrs of NATIVE_ADAMW: the scalars of one step. */
export interface AdamWStep {
  /** 1 − lr·wd for a parameter that decays, else 1. */
  readonly decay: number;
  readonly b1: number;
  readonly b2: number;
  readonly eps: number;
  /** lr / (1 − b1ᵗ). */
  readonly step: number;
  /** √(1 − b2ᵗ). */
  readonly bc2: number;
}
