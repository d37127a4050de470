/** Whether an ONNX Runtime error message is the device running out of memory (then the batch is halved). */
export function isOutOfMemoryMessage(message: string): boolean {
  return /out ?of ?memory|\boom\b|failed to allocate|allocation failed|bad_alloc/i.test(message);
}
