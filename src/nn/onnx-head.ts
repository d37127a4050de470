/**
 * Appends a classification head to a sentence-embedding model's ONNX graph: last_hidden_state [B, S, H] →
 * pooling (mask-weighted mean, or the first token) → L2 normalisation → projection z = P·x → logits = W·z + b,
 * the graph's one output `logits` [B, classes]. The same math as the app's projection-head inference
 * (`pool` + `l2Normalize` + `applyProjectionHead`), in standard ONNX ops (opset 13 and later).
 */
import { OnnxError, floatTensor, int64Tensor, onnx, toInt, type ModelProto, type NodeProto } from './onnx-proto';

export interface ProjectionHeadGraph {
  pooling: 'mean' | 'cls';
  /** [dim, dim], applied as z = P·x (the projection's identity plus its LoRA update, merged). */
  projection: Float32Array;
  /** [classes, dim] and [classes]. */
  classifierWeight: Float32Array;
  classifierBias: Float32Array;
  classes: number;
  dim: number;
}

const P = '/jammi_head/';
/**
 * The head's parameter names, in the graph and in model.safetensors. NOTE: not `classifier.*`: HF's
 * `AutoModelForSequenceClassification` would load those into its own pooler → tanh → classifier head, which is not
 * this head, and predict wrongly without a warning.
 */
export const HEAD_PARAMS = { projection: 'jammi_head.projection.weight', weight: 'jammi_head.classifier.weight', bias: 'jammi_head.classifier.bias' } as const;

export function appendProjectionHead(model: ModelProto, head: ProjectionHeadGraph): void {
  const graph = model.graph;
  if (!graph) throw new OnnxError('the model has no graph');
  const opset = toInt((model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version);
  if (opset < 13) throw new OnnxError(`opset ${opset} is too old to append the head (13 or later)`);
  const outputs = graph.output ?? [];
  const hidden = outputs.find((o) => o.name === 'last_hidden_state') ?? outputs[0];
  if (!hidden?.name) throw new OnnxError('the graph has no output to pool');
  const hiddenDims = hidden.type?.tensorType?.shape?.dim ?? [];
  if (hiddenDims.length !== 3) throw new OnnxError(`"${hidden.name}" is not [batch, seq, hidden]: the head target needs token embeddings`);
  const h = toInt(hiddenDims[2].dimValue);
  if (h && h !== head.dim) throw new OnnxError(`"${hidden.name}" has ${h} dimensions; the head expects ${head.dim}`);
  if (!(graph.input ?? []).some((i) => i.name === 'attention_mask') && head.pooling === 'mean') {
    throw new OnnxError('mean pooling needs an attention_mask input');
  }

  const nodes: NodeProto[] = [];
  const node = (op: string, inputs: string[], out: string, attrs: Record<string, number | number[]> = {}) => {
    nodes.push(
      onnx.NodeProto.create({
        name: P + out,
        opType: op,
        input: inputs,
        output: [P + out],
        attribute: Object.entries(attrs).map(([name, v]) =>
          Array.isArray(v)
            ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v })
            : onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: v }),
        ),
      }),
    );
    return P + out;
  };
  const init = graph.initializer!;
  const constant = (name: string, value: number) => {
    init.push(floatTensor(P + name, [], Float32Array.of(value)));
    return P + name;
  };
  init.push(int64Tensor(P + 'axis1', [1], [1]), int64Tensor(P + 'axis2', [1], [2]), int64Tensor(P + 'zero', [], [0]));

  let pooled: string;
  if (head.pooling === 'cls') {
    pooled = node('Gather', [hidden.name, P + 'zero'], 'cls', { axis: 1 });
  } else {
    // mean over real tokens: Σ mask·x / max(Σ mask, 1)
    const mask = node('Cast', ['attention_mask'], 'mask', { to: onnx.TensorProto.DataType.FLOAT });
    const mask3 = node('Unsqueeze', [mask, P + 'axis2'], 'mask3');
    const sum = node('ReduceSum', [node('Mul', [hidden.name, mask3], 'masked'), P + 'axis1'], 'sum', { keepdims: 0 });
    const count = node('Max', [node('ReduceSum', [mask3, P + 'axis1'], 'count', { keepdims: 0 }), constant('one', 1)], 'count_at_least_1');
    pooled = node('Div', [sum, count], 'mean');
  }
  // x / max(‖x‖, 1e-12): a zero embedding stays zero, as l2Normalize leaves it. ReduceL2 takes axes as an input from opset 18.
  const norm = opset >= 18 ? node('ReduceL2', [pooled, P + 'axis1'], 'norm', { keepdims: 1 }) : node('ReduceL2', [pooled], 'norm', { axes: [1], keepdims: 1 });
  const normalized = node('Div', [pooled, node('Max', [norm, constant('eps', 1e-12)], 'norm_clamped')], 'normalized');
  init.push(floatTensor(HEAD_PARAMS.projection, [head.dim, head.dim], head.projection));
  init.push(floatTensor(HEAD_PARAMS.weight, [head.classes, head.dim], head.classifierWeight));
  init.push(floatTensor(HEAD_PARAMS.bias, [head.classes], head.classifierBias));
  const z = node('Gemm', [normalized, HEAD_PARAMS.projection], 'projected', { transB: 1 });
  nodes.push(
    onnx.NodeProto.create({
      name: P + 'classifier',
      opType: 'Gemm',
      input: [z, HEAD_PARAMS.weight, HEAD_PARAMS.bias],
      output: ['logits'],
      attribute: [onnx.AttributeProto.create({ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 })],
    }),
  );
  graph.node!.push(...nodes);
  const batch = hiddenDims[0];
  graph.output = [logitsOutput(batch.dimParam || 'batch_size', head.classes)];
}

/** The `logits` [batch, classes] output declaration. */
export function logitsOutput(batchParam: string, classes: number) {
  return onnx.ValueInfoProto.create({
    name: 'logits',
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: onnx.TensorShapeProto.create({ dim: [onnx.TensorShapeProto.Dimension.create({ dimParam: batchParam }), onnx.TensorShapeProto.Dimension.create({ dimValue: classes })] }),
      }),
    }),
  });
}
