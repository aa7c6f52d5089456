/**
 * Worker thread for `prepare`: receives batches of documents, returns their token ids flat with
 * lengths, so tokenizing uses every core. The tokenizer arrives once as tokenizer.json.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { tokenizerFromJson } from '../tokenizer/hfTokenizer.js';
import { encodeBatch, type EncodeRequest } from './encodeBatch.js';

const { tokenizerJson, maxTokens } = workerData as { tokenizerJson: object; maxTokens: number };
const tokenizer = tokenizerFromJson(tokenizerJson);

parentPort!.on('message', (req: EncodeRequest) => {
  const res = encodeBatch(tokenizer, req, maxTokens);
  parentPort!.postMessage(res, [res.ids.buffer as ArrayBuffer, res.lengths.buffer as ArrayBuffer, res.textBytes.buffer as ArrayBuffer, res.textChars.buffer as ArrayBuffer]);
});
