/** Public surface of the model library. */
export { SafetensorsError, parseSafetensors, writeSafetensors, halfToFloat, type F32Entry, type SafetensorsFile, type TensorInfo } from './safetensors';
export { Linear, LayerNorm, WeightStore, activation, drop, type Activation, toTokenBatch, type LoraAdapter, type LoraConfig, type TokenBatch, type TrainContext } from './layers';
export { architectureOf, loadClassifier, loadEncoder, type Architecture, type Ids, type ModelFiles, type SequenceClassifier } from './classifier';
export { maskedMean } from './modernbert';
