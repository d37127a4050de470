/**
 * Tokenization with transformers.js' tokenizer (from the model's `tokenizer.json` + `tokenizer_config.json`),
 * without its truncation (which drops the final `[SEP]`): we truncate ourselves, keeping the special tokens.
 */
import { env, PreTrainedTokenizer } from '@huggingface/transformers';
import { specialsPrefixLength, truncateKeepingSpecials } from './truncate';

// transformers.js must never reach the Hub or a CDN on its own: we fetch every file ourselves.
env.allowRemoteModels = false;
env.allowLocalModels = false;
env.useBrowserCache = false;
// Importing transformers.js points ONNX Runtime's `wasmPaths` at a CDN: `./ort` points them back at our own
// assets before it creates any session.

export class TextTokenizer {
  private readonly tok: PreTrainedTokenizer;
  /** How many special tokens the template puts before and after the text. */
  private readonly prefix: number;
  private readonly suffix: number;
  /** The id padding uses (masked out by `attention_mask`). */
  readonly padId: number;
  readonly vocabSize: number;

  constructor(
    tokenizerJson: object,
    tokenizerConfig: object,
    private readonly maxLength: number,
  ) {
    const tok = (this.tok = new PreTrainedTokenizer(tokenizerJson, tokenizerConfig));
    // Where the template puts its special tokens, read off one probe text.
    const probe = 'hello world';
    const full = tok.encode(probe);
    const content = tok.encode(probe, { add_special_tokens: false });
    this.prefix = specialsPrefixLength(full, content);
    this.suffix = full.length - content.length - this.prefix;
    this.padId = tok.pad_token_id ?? 0;
    this.vocabSize = tok.get_vocab().size;
  }

  /** Token ids of one text, special tokens included, truncated to the model's maximum length. */
  encode(text: string): number[] {
    // NOTE: a 1 MiB text would be tokenised whole only to be cut to maxLength tokens. A WordPiece/BPE token spans at
    // most ~100 characters (longer words become one [UNK]), so the first maxLength·128 characters give the same kept
    // tokens for any text that is not mostly whitespace.
    const cut = text.length > this.maxLength * 128 ? text.slice(0, this.maxLength * 128) : text;
    return truncateKeepingSpecials(this.tok.encode(cut), this.prefix, this.suffix, this.maxLength);
  }
}
