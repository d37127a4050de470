/** The error every `Database` call throws for a problem the user can fix; `message` names the source, column or file. */
export class JammiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JammiError';
  }
}

export function abortError(what: string): DOMException {
  return new DOMException(`${what} was cancelled.`, 'AbortError');
}
