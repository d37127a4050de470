import { JammiError } from '../errors';

/** A CSV that cannot be read: a JammiError with code `bad_csv`; `reason` says which rule it broke; `message` names the file, column or line. */
export class IngestError extends JammiError {
  constructor(
    readonly reason: 'empty' | 'header-only' | 'binary' | 'duplicate-column' | 'unclosed-quote' | 'bad-type' | 'too-many-columns' | 'record-too-long',
    message: string,
  ) {
    super('bad_csv', message);
    this.name = 'IngestError';
  }
}
