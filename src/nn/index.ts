/** Public surface of the model library. */
export { SafetensorsError, parseSafetensors, writeSafetensors, halfToFloat, type F32Entry, type SafetensorsFile, type TensorInfo } from './safetensors';
export { Linear, LayerNorm, WeightStore, activation, drop, type Activation, type LoraAdapter, type LoraConfig, type TrainContext } from './layers';
export { padBatch, toTokenBatch, tokenBatch, type TokenBatch } from './token-batch';
export { architectureOf, loadClassifier, loadEncoder, type Architecture, type Ids, type ModelFiles, type SequenceClassifier } from './sequence-classifier';
export { firstToken, maskedMean, pool, poolTensor, poolingOf, type Pooling, type PoolingMask } from './pooling';
