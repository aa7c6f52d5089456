/** All ops, as plain functions on tensors (the functional API, like torch.nn.functional). */
export { reshape, narrow, transpose } from './shape.js';
export { matmul, linear, type MatmulOptions } from './matmul.js';
export { add, sub, mul, scale, sum, mean } from './elementwise.js';
export { embedding } from './embedding.js';
export { dropout } from './dropout.js';
export { softmax, logSoftmax } from './softmax.js';
export {
  crossEntropy, maskedCrossEntropy, type CrossEntropyOptions, type MaskedCrossEntropyOptions, type Reduction,
} from './crossentropy.js';
export { layerNorm } from './layernorm.js';
export { gelu } from './gelu.js';
export { causalAttention, causalAttentionSegments } from './attention.js';
export { linearCrossEntropy, embeddingCrossEntropy } from './fusedLoss.js';
export { tanh, relu } from './activations.js';
export { causalConv1d } from './conv.js';
export { sequenceLengths, rightPaddedLengths, planPacking, packIds, packRows, unpackRows, type PackedPlan } from './sequence.js';
export {
  recurrent, rnnTanh, lstm, gru, GATES, type RecurrentMode, type RecurrentState, type RecurrentWeights,
} from './recurrent.js';
