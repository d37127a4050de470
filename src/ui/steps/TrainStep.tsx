import { TrainPanel } from '../TrainPanel';
import { useWorkbench } from '../workbench/context';
import { SuggesterControls } from '../workbench/SuggesterControls';
import { useSuggesterStatus } from '../workbench/useSuggester';

/** Step 3: the suggester (retrained as you label; no download) and LoRA fine-tuning of a transformer on the labels. */
export function TrainStep() {
  const w = useWorkbench();
  const status = useSuggesterStatus(w.db, w.source, w.labelColumn, !!w.table);
  if (!w.source) return <p className="empty">Load a source and label some rows first.</p>;
  return (
    <div className="train-step">
      <SuggesterControls status={status} />
      <TrainPanel db={w.db} source={w.source} textColumn={w.textColumn} labelColumn={w.labelColumn} />
    </div>
  );
}
