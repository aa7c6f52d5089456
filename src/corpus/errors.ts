/** Errors about input data: files that are missing, empty, malformed or not UTF-8. */
import { SlmError } from '../tensor/errors.js';

/** Input data that cannot be read as asked; the message names the file and the place. */
export class DataError extends SlmError {}
