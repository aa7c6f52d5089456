/** Neural network building blocks (like torch.nn). */
export { Module } from './module.js';
export { Embedding, Linear, Dropout, LayerNorm, GELU, Sequential, type Layer, type LinearOptions } from './layers.js';
export { CausalConv1d, RecurrentStack } from './sequence.js';
