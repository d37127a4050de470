/** An error the user can act on. `code` is stable for programs; `message` names the file, column or line. */
export class IngestError extends Error {
  constructor(
    readonly code:
      | 'empty'
      | 'header-only'
      | 'binary'
      | 'duplicate-column'
      | 'unclosed-quote'
      | 'bad-type'
      | 'too-many-columns'
      | 'record-too-long',
    message: string,
  ) {
    super(message);
    this.name = 'IngestError';
  }
}
