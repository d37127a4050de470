import type { FineTuneConfig } from '../../api/fine-tune';

type Field = { key: keyof FineTuneConfig; label: string; step?: number; options?: string[]; kind?: 'bool' | 'list' };

const FIELDS: Field[] = [
  { key: 'epochs', label: 'Epochs' },
  { key: 'batch_size', label: 'Batch size' },
  { key: 'learning_rate', label: 'Learning rate', step: 1e-4 },
  { key: 'lr_schedule', label: 'Schedule', options: ['linear', 'cosine', 'constant'] },
  { key: 'warmup_ratio', label: 'Warmup ratio', step: 0.01 },
  { key: 'lora_rank', label: 'LoRA rank' },
  { key: 'lora_alpha', label: 'LoRA alpha' },
  { key: 'use_rslora', label: 'rsLoRA (alpha/√r)', kind: 'bool' },
  { key: 'lora_dropout', label: 'LoRA dropout', step: 0.01 },
  { key: 'max_seq_length', label: 'Max tokens' },
  { key: 'validation_fraction', label: 'Validation fraction', step: 0.01 },
  { key: 'early_stopping_patience', label: 'Early-stopping patience (0: off)' },
  { key: 'early_stopping_metric', label: 'Early-stopping metric', options: ['val_loss', 'val_accuracy'] },
  { key: 'gradient_accumulation_steps', label: 'Gradient accumulation' },
  { key: 'weight_decay', label: 'Weight decay', step: 0.001 },
  { key: 'max_grad_norm', label: 'Max gradient norm', step: 0.1 },
  { key: 'seed', label: 'Seed' },
  { key: 'target_modules', label: 'Target modules (comma-separated; empty: default)', kind: 'list' },
  { key: 'layers_to_transform', label: 'Layers (comma-separated; empty: all)', kind: 'list' },
];

/** Every fine-tuning setting with its default filled in; the API checks the values and names a bad one. */
export function ConfigForm({ value, onChange, disabled }: { value: FineTuneConfig; onChange: (c: FineTuneConfig) => void; disabled: boolean }) {
  const set = (key: keyof FineTuneConfig, v: unknown) => onChange({ ...value, [key]: v });
  return (
    <fieldset className="config-form" disabled={disabled}>
      <legend>Settings</legend>
      {FIELDS.map((f) => {
        const v = value[f.key];
        let input;
        if (f.options) {
          input = (
            <select value={String(v)} onChange={(e) => set(f.key, e.target.value)}>
              {f.options.map((o) => (
                <option key={o}>{o}</option>
              ))}
            </select>
          );
        } else if (f.kind === 'bool') {
          input = <input type="checkbox" checked={Boolean(v)} onChange={(e) => set(f.key, e.target.checked)} />;
        } else if (f.kind === 'list') {
          input = (
            <input
              value={Array.isArray(v) ? v.join(',') : ''}
              onChange={(e) => {
                const parts = e.target.value.split(',').map((s) => s.trim()).filter(Boolean);
                set(f.key, parts.length === 0 ? null : f.key === 'layers_to_transform' ? parts.map(Number) : parts);
              }}
            />
          );
        } else {
          input = <input type="number" step={f.step ?? 1} value={Number(v)} onChange={(e) => set(f.key, e.target.value === '' ? NaN : Number(e.target.value))} />;
        }
        return (
          <label key={f.key} title={f.key}>
            <span>{f.label}</span>
            {input}
          </label>
        );
      })}
    </fieldset>
  );
}
