/**
 * Which linears get LoRA: the one selection rule, shared by training (attach), inference (merge) and the PEFT
 * round trip. PEFT's `target_modules` is a list of names (a module matches by its full name or its last
 * dotted part) or one regex string (matched against the full name); `layers_to_transform` keeps only modules
 * inside those encoder layers (`…layer.<i>.…` / `…layers.<i>.…`).
 */
import type { Architecture } from './architecture';

export type TargetModules = string | readonly string[];

/** The default targets per architecture: attention query and value (ModernBERT's fused Wqkv). */
export const DEFAULT_TARGET_MODULES: Record<Architecture, string[]> = {
  bert: ['query', 'value'],
  roberta: ['query', 'value'],
  distilbert: ['q_lin', 'v_lin'],
  modernbert: ['Wqkv'],
};

/** Whether PEFT would put LoRA on `module` (names by suffix, or a regex string; optional layer filter). */
export function selectsModule(targets: TargetModules, layers: readonly number[] | null | undefined, module: string): boolean {
  const named =
    typeof targets === 'string' ? new RegExp(`^(?:${targets})$`).test(module) : targets.some((m) => module === m || module.endsWith(`.${m}`));
  if (!named) return false;
  if (!layers || layers.length === 0) return true;
  const m = /(?:^|\.)(?:layer|layers)\.(\d+)\./.exec(module);
  return m !== null && layers.includes(Number(m[1]));
}
