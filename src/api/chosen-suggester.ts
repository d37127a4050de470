/**
 * The suggester chosen for one (source, label column) — TF-IDF (the default), a head on an embedding model's frozen
 * embeddings, or a classifier — kept in the one choice store (suggester-choice.ts), and, for a classifier, its run
 * over the text column (ClassifierRuns) and its accuracy on the labels so far. Suggesters (suggesters.ts) holds one
 * per label column and asks it which probabilities answer `suggest`; TF-IDF and the embedding head train there.
 */
import type { ClassifierSource, ClassifierSuggesterStatus, LearningCurvePoint, SuggesterChoice } from '../label/types';
import { JammiError } from '../errors';
import { inferModel, type ClassifierRun, type ClassifierRuns } from './classifier-suggester';
import { checkChoice, checkSource, type ChoiceStore, type ClassifierWhere } from './suggester-choice';

export class ChosenSuggester {
  choice: SuggesterChoice = { kind: 'tfidf' };
  private where: ClassifierWhere = {};
  run: ClassifierRun | null = null;
  /** Times the choice changed (each one re-ranks the queue: see `versionBump`). */
  private switches = 0;
  private curve: LearningCurvePoint[] = [];

  constructor(
    private readonly runs: ClassifierRuns | null,
    private readonly choices: ChoiceStore | null,
    private readonly user: string,
    private readonly source: string,
    private readonly labelColumn: string,
  ) {
    const saved = choices?.get(source, labelColumn);
    if (saved && (saved.suggester.kind !== 'classifier' || runs)) [this.choice, this.where] = [saved.suggester, saved.where];
  }

  get classifier(): boolean {
    return this.choice.kind === 'classifier';
  }

  /** The embedding model chosen (null: the suggester is not an embedding head). */
  get embeddingModel(): string | null {
    return this.choice.kind === 'embedding' ? this.choice.model : null;
  }

  /**
   * Added to the trained models' count for the status' version: +2 per change to or from a classifier (the
   * probabilities that answer change at once), +1 once a classifier has run. Between TF-IDF and an embedding head
   * the old model answers until the new one has trained, whose version is the next one.
   */
  get versionBump(): number {
    return 2 * this.switches + (this.run?.scores ? 1 : 0);
  }

  /** Picks the suggester (checked); returns whether it changed. A run nobody uses any more is cancelled. */
  choose(choice: SuggesterChoice, source: ClassifierSource | undefined): boolean {
    const next = checkChoice(choice);
    if (next.kind === 'classifier' && !this.runs) throw new JammiError('bad_input', 'A classifier suggester needs the database to run the model (no infer here).');
    const where = next.kind === 'classifier' ? checkSource(source, next.model) : {};
    const same = JSON.stringify([next, where]) === JSON.stringify([this.choice, this.where]) && !where.folder && this.run?.status.state !== 'failed';
    if (same) return false;
    this.runs?.leave(this.user, this.run);
    this.run = null;
    if (next.kind === 'classifier' || this.choice.kind === 'classifier') this.switches++;
    [this.choice, this.where] = [next, where];
    this.curve = [];
    this.choices?.set(this.source, this.labelColumn, next.kind === 'tfidf' ? null : { suggester: next, where });
    return true;
  }

  /** Keeps the classifier's run on the text column (a new choice or column starts or reuses one). */
  sync(textColumn: string | null): void {
    if (this.choice.kind !== 'classifier' || textColumn === null || !this.runs) return;
    const { model } = this.choice;
    if (this.run && this.run.textColumn === textColumn && this.run.model === model && this.run.where === this.where) return;
    this.runs.leave(this.user, this.run);
    this.run = this.runs.use(this.user, this.source, textColumn, model, this.where);
  }

  /** The classifier's probabilities over `textColumn` once it has run (null: not a classifier, or not yet). */
  scores(textColumn: string): { probs: ArrayLike<number>; classes: string[] } | null {
    return this.run?.scores && this.run.textColumn === textColumn ? this.run.scores : null;
  }

  /** Waits for the classifier's run over `textColumn` (started if needed). */
  async done(textColumn: string): Promise<{ probs: ArrayLike<number>; classes: string[] }> {
    this.sync(textColumn);
    if (!this.run) throw new JammiError('bad_input', `The suggester of "${this.labelColumn}" is not a classifier.`);
    return this.run.done;
  }

  /** What `infer` takes for the chosen classifier (null: the suggester is not one). */
  inferOptions(): ReturnType<typeof inferModel> | null {
    return this.choice.kind === 'classifier' ? inferModel(this.choice.model, this.where) : null;
  }

  /** After labels changed (or the run finished): a learning-curve point per `every` labels. */
  labelsChanged(labels: readonly (string | null)[], every: number): void {
    if (!this.run?.scores) return;
    const point = this.runs!.statusOf(this.run, labels).accuracy;
    const last = this.curve.at(-1);
    if (point && (!last || point.labels >= last.labels + every || point.labels < last.labels)) this.curve.push(point);
  }

  /** The classifier's part of the status: its run, classes and accuracy; it never trains on the labels. */
  status(textColumn: string | null, labels: readonly (string | null)[]): { classifier: ClassifierSuggesterStatus; curve: LearningCurvePoint[] } {
    const model = (this.choice as { model: string }).model;
    const { folder, folderName, ...where } = this.where;
    const classifier = this.run
      ? this.runs!.statusOf(this.run, labels)
      : { model, source: { ...where, ...(folder || folderName ? { folder: folder?.name ?? folderName } : {}) }, textColumn, state: 'idle' as const, rows: 0, total: 0, classes: [] };
    return { classifier, curve: [...this.curve] };
  }

  /** The source is gone: its run is left (and cancelled if nobody else uses it). */
  leave(): void {
    this.runs?.leave(this.user, this.run);
    this.run = null;
  }
}
