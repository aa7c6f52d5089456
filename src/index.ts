/** slmkit's public API: re-exports only. */
export { Tensor, type DType, type Shape, shapeSize } from './tensor/tensor.js';
export { noGrad, isGradEnabled, liveGraphNodes } from './tensor/autograd.js';
export { Rng, manualSeed, defaultRng } from './tensor/rng.js';
export { SlmError, ShapeError, DTypeError, ConfigError, GradError } from './tensor/errors.js';
export { kernels, useBackend, availableBackends, registerBackend, type Kernels } from './backend/index.js';
