import { suggesterModelId } from '../../label/types';
import { ClassifyPanel } from '../ClassifyPanel';
import { useWorkbench } from '../workbench/context';
import { labelApi } from '../workbench/label-api';

/** Step 4: classify every row with a served, Hub, local, fine-tuned model — or the suggester — and score it. */
export function ClassifyStep() {
  const w = useWorkbench();
  if (!w.source) return <p className="empty">Load a source first.</p>;
  const suggester = labelApi(w.db) && w.labelColumn ? suggesterModelId(w.source, w.labelColumn) : undefined;
  return <ClassifyPanel db={w.db} source={w.source} textColumn={w.textColumn} suggester={suggester} />;
}
