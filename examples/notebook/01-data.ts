/**
 * docs/notebook.md, "Load our PubMed data" and the start of "Build our small language model":
 * the corpus as token ids, one padded batch of three documents with its attention mask, what the
 * tokenizer does to the notebook's prompt, and the vocabulary size with the memory a V × V
 * transition matrix would take. Run: node dist/examples/notebook/01-data.js
 */
import { countParameters, formatTensor, numDocuments, paddedBatches } from 'slmkit';
import { openNotebookData } from './settings.js';

// --- Load our PubMed data
const data = await openNotebookData();
for (const line of data.prepared?.readings ?? []) console.log(line);
console.log(`train: ${numDocuments(data.train)} documents, ${data.train.ids.length} tokens`);
console.log(`test:  ${numDocuments(data.test)} documents, ${data.test.ids.length} tokens`);

// The first batch of three documents, in file order, padded to the longest of them.
const [batch] = paddedBatches(data.train, { batchSize: 3 });
console.log(Object.keys(batch)); // the notebook's input_ids and attention_mask
console.log('ids', batch.ids.shape, formatTensor(batch.ids, { threshold: 100 })); // first and last three columns
console.log('mask', batch.mask.shape, formatTensor(batch.mask, { threshold: 100 }));

// What the tokenizer makes of a sentence: [CLS] … [SEP] around WordPiece ids, lowercased.
const encoded = data.tokenizer.encode('We compared the prevalence of');
console.log('prompt ids', encoded.ids.join(' '));
console.log('tokens', encoded.tokens.join(' '));
console.log('decoded', data.tokenizer.decode(encoded.ids, { skipSpecialTokens: false }));

// --- Build our small language model: how big is the vocabulary, and the V × V table?
const vocabSize = data.tokenizer.vocabSize;
console.log('vocabulary size', vocabSize);
console.log('transition matrix, GB (float32)', (vocabSize * vocabSize * 32) / 8 / 1e9);
console.log('Markov chain parameters', countParameters({ type: 'markov', vocabSize }).toLocaleString('en-US'));
