/**
 * Where the tutorial's examples (docs/notebook.md) get their data, and the three environment
 * variables that change it. With none set they run the notebook's settings on the PubMed sample
 * that ships with slmkit. SLM_DATA points them at another corpus (the notebook's full PubMed
 * folder); SLM_VOCAB trains a smaller WordPiece vocabulary on the corpus instead of the notebook's
 * 28,996 tokens (the full-rank Markov table then shrinks from 3.4 GB to V² floats); SLM_STEPS
 * ends every training run after that many steps. The test (test/notebook.test.ts) runs the
 * examples with SLM_VOCAB and SLM_STEPS set, so they finish in seconds.
 */
import { trainWordPiece } from 'slmkit';
import { builtinCorpus, openData, type OpenedData } from 'slmkit/node';

function positiveInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number, got '${raw}'`);
  return n;
}

/** A folder holding train.txt and test.txt (or .txt.gz), one document per line. */
export const corpus = process.env.SLM_DATA || builtinCorpus;
/** Size of a WordPiece vocabulary trained on the corpus, or undefined for the notebook's. */
export const vocabSize = positiveInt('SLM_VOCAB');
/** Steps after which each training run stops (Infinity: the notebook's two epochs). */
export const maxSteps = positiveInt('SLM_STEPS') ?? Infinity;

/** Opens the corpus as token ids, prepared once and cached (~/.cache/slmkit, or $SLM_CACHE). */
export function openNotebookData(): Promise<OpenedData> {
  if (vocabSize === undefined) return openData(corpus); // the notebook's tokenizer: BERT cased WordPiece, lowercased, 512 tokens
  return openData(corpus, {
    tokenizer: { tokenizer: (texts) => trainWordPiece(texts(), { vocabSize, lowercase: true }), id: `wordpiece:${vocabSize} lowercase` },
  });
}
