/**
 * The workbench's place in the URL hash — `#label?source=reviews&label=label&text=text&view=focused` — so a reload,
 * a bookmark or the Back button returns to the same step, source and columns.
 */
export const STEPS = [
  { id: 'data', title: 'Data', key: 'd', hint: 'Load files and look at their rows' },
  { id: 'label', title: 'Label', key: 'l', hint: 'Label rows, one at a time or in bulk, with the model’s suggestions' },
  { id: 'train', title: 'Train', key: 't', hint: 'Retrain the suggester or fine-tune a model on the labels' },
  { id: 'classify', title: 'Classify', key: 'c', hint: 'Classify every row and score the result' },
  { id: 'export', title: 'Export', key: 'e', hint: 'Download the rows with their labels' },
] as const;

export type StepId = (typeof STEPS)[number]['id'];

export const LABEL_VIEWS = ['focused', 'table', 'bulk'] as const;
export type LabelView = (typeof LABEL_VIEWS)[number];

export interface Place {
  step: StepId;
  source: string | null;
  labelColumn: string;
  textColumn: string;
  view: LabelView;
}

const isStep = (s: string): s is StepId => STEPS.some((x) => x.id === s);
const isView = (s: string): s is LabelView => (LABEL_VIEWS as readonly string[]).includes(s);

export function parsePlace(hash: string): Place {
  const [step, query = ''] = hash.replace(/^#\/?/, '').split('?');
  const q = new URLSearchParams(query);
  const view = q.get('view') ?? '';
  return {
    step: isStep(step) ? step : 'data',
    source: q.get('source') || null,
    labelColumn: q.get('label') ?? '',
    textColumn: q.get('text') ?? '',
    view: isView(view) ? view : 'focused',
  };
}

export function formatPlace(p: Place): string {
  const q = new URLSearchParams();
  if (p.source) q.set('source', p.source);
  if (p.labelColumn) q.set('label', p.labelColumn);
  if (p.textColumn) q.set('text', p.textColumn);
  if (p.view !== 'focused') q.set('view', p.view);
  const query = q.toString();
  return `#${p.step}${query ? `?${query}` : ''}`;
}
