/** The backend names users choose from and results report (no code: safe to import from the page). */
export type BackendChoice = 'auto' | 'webgpu' | 'wasm' | 'js';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'webgpu', 'wasm', 'js'];

/** The engine backend that actually ran. */
export type EngineBackendName = 'webgpu' | 'wasm' | 'js';
