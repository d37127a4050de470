/**
 * Fine-tuning settings: Jammi's field names, defaults chosen to work on a few hundred labelled rows, and a check
 * that rejects a bad value before any work, naming the field and the allowed range.
 */
import { JammiError } from '../errors';

export type FineTuneTarget = 'encoder' | 'head';

export interface FineTuneConfig {
  lora_rank: number;
  lora_alpha: number;
  use_rslora: boolean;
  lora_dropout: number;
  learning_rate: number;
  epochs: number;
  batch_size: number;
  max_seq_length: number;
  gradient_accumulation_steps: number;
  validation_fraction: number;
  /** Epochs without improvement of `early_stopping_metric` before training stops; 0 turns early stopping off. */
  early_stopping_patience: number;
  early_stopping_metric: 'val_loss' | 'val_accuracy';
  /** Fraction of all optimiser steps spent warming the learning rate up from 0. */
  warmup_ratio: number;
  lr_schedule: 'cosine' | 'linear' | 'constant';
  weight_decay: number;
  max_grad_norm: number;
  seed: number;
  /** Module names to wrap with LoRA (encoder target); null: the architecture's attention query and value. */
  target_modules: string[] | null;
  /** Encoder layers to adapt; null: all. */
  layers_to_transform: number[] | null;
}

/** Defaults per target: the frozen-encoder `head` target trains a small model on cached embeddings and takes a larger step. */
export function defaultConfig(target: FineTuneTarget): FineTuneConfig {
  return {
    lora_rank: 8,
    lora_alpha: 16,
    use_rslora: false,
    lora_dropout: target === 'head' ? 0 : 0.05,
    learning_rate: target === 'head' ? 1e-2 : 2e-3,
    epochs: target === 'head' ? 30 : 3,
    batch_size: 16,
    max_seq_length: 128,
    gradient_accumulation_steps: 1,
    validation_fraction: 0.1,
    early_stopping_patience: target === 'head' ? 5 : 2,
    early_stopping_metric: 'val_loss',
    warmup_ratio: 0.06,
    lr_schedule: 'linear',
    weight_decay: 0.01,
    max_grad_norm: 1.0,
    seed: 42,
    target_modules: null,
    layers_to_transform: null,
  };
}

/** A bad fine-tuning setting: a JammiError with code `bad_config`. */
export class ConfigError extends JammiError {
  constructor(message: string) {
    super('bad_config', message);
    this.name = 'ConfigError';
  }
}

type Check = (v: unknown) => string | null;
const int = (lo: number, hi: number): Check => (v) =>
  typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi ? null : `an integer from ${lo} to ${hi}`;
const real = (lo: number, hi: number, openLo = false): Check => (v) =>
  typeof v === 'number' && Number.isFinite(v) && (openLo ? v > lo : v >= lo) && v <= hi ? null : `a number ${openLo ? '>' : '≥'} ${lo} and ≤ ${hi}`;
const oneOf = (...values: string[]): Check => (v) => (typeof v === 'string' && values.includes(v) ? null : `one of ${values.map((x) => `"${x}"`).join(', ')}`);
const bool: Check = (v) => (typeof v === 'boolean' ? null : 'true or false');
const listOf = (item: Check, what: string): Check => (v) =>
  v === null || (Array.isArray(v) && v.length > 0 && v.every((x) => item(x) === null)) ? null : `null or a non-empty list of ${what}`;

const checks: { [K in keyof FineTuneConfig]: Check } = {
  lora_rank: int(1, 256),
  lora_alpha: real(0, 1024, true),
  use_rslora: bool,
  lora_dropout: real(0, 0.9),
  learning_rate: real(0, 1, true),
  epochs: int(1, 1000),
  batch_size: int(1, 1024),
  max_seq_length: int(8, 8192),
  gradient_accumulation_steps: int(1, 1024),
  validation_fraction: real(0, 0.5),
  early_stopping_patience: int(0, 1000),
  early_stopping_metric: oneOf('val_loss', 'val_accuracy'),
  warmup_ratio: real(0, 0.5),
  lr_schedule: oneOf('cosine', 'linear', 'constant'),
  weight_decay: real(0, 1),
  max_grad_norm: real(0, 1e6, true),
  seed: int(0, Number.MAX_SAFE_INTEGER),
  target_modules: listOf((v) => (typeof v === 'string' && v.length > 0 ? null : 'x'), 'module names'),
  layers_to_transform: listOf(int(0, 1000), 'layer indices'),
};

/** The defaults for `target` overlaid with `overrides`; throws ConfigError naming the first bad or unknown field. */
export function resolveConfig(target: FineTuneTarget, overrides: Partial<FineTuneConfig> = {}): FineTuneConfig {
  const config = { ...defaultConfig(target) } as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in checks)) throw new ConfigError(`Unknown fine-tuning setting "${key}". Known settings: ${Object.keys(checks).join(', ')}.`);
    if (value !== undefined) config[key] = value;
  }
  for (const [key, check] of Object.entries(checks) as [keyof FineTuneConfig, Check][]) {
    const problem = check(config[key]);
    if (problem !== null) throw new ConfigError(`config.${key} must be ${problem}; got ${JSON.stringify(config[key])}.`);
  }
  return config as unknown as FineTuneConfig;
}
