/**
 * The reference backend: every kernel as plain TypeScript loops. Browser-safe, slow, and the
 * definition of what each kernel means; faster backends are tested against it.
 */
import type { Kernels } from '../kernels.js';
import { reluBackward, reluForward, tanhBackward, tanhForward } from './activations.js';
import { adamwStep, adamwStepRows } from './adamw.js';
import { attentionBackward, attentionBackwardSegments, attentionForward, attentionForwardSegments } from './attention.js';
import { causalConv1dBackward, causalConv1dForward } from './conv.js';
import {
  addBroadcast, axpy, dropoutApply, dropoutMask, mulBroadcast, scaleShift, sumRows, sumRowsProduct, sumSquares,
} from './elementwise.js';
import { embeddingBackward, embeddingForward } from './embedding.js';
import { geluBackward, geluForward } from './gelu.js';
import { layerNormBackward, layerNormForward } from './layernorm.js';
import { packB, packedBSize, sgemm, sgemmPackedB } from './matmul.js';
import { fillNormal } from './random.js';
import { gruCellBackward, gruCellForward, lstmCellBackward, lstmCellForward } from './recurrent.js';
import {
  crossEntropyBackward, crossEntropyForward, crossEntropyFused, gatherLogSumExp, gatherSoftmax, logSoftmaxBackward, logSoftmaxForward,
  softmaxBackward, softmaxForward,
} from './softmax.js';

export const referenceKernels: Kernels = {
  name: 'reference',
  sgemm, packedBSize, packB, sgemmPackedB,
  addBroadcast, mulBroadcast, scaleShift, axpy, sumRows, sumRowsProduct,
  embeddingForward, embeddingBackward,
  dropoutApply, dropoutMask,
  softmaxForward, softmaxBackward, logSoftmaxForward, logSoftmaxBackward,
  crossEntropyForward, crossEntropyBackward, crossEntropyFused, gatherLogSumExp, gatherSoftmax,
  layerNormForward, layerNormBackward,
  geluForward, geluBackward,
  attentionForward, attentionBackward, attentionForwardSegments, attentionBackwardSegments,
  adamwStep, adamwStepRows,
  sumSquares,
  fillNormal,
  tanhForward, tanhBackward, reluForward, reluBackward,
  lstmCellForward, lstmCellBackward, gruCellForward, gruCellBackward,
  causalConv1dForward, causalConv1dBackward,
};
