/** Errors about input data: files that are missing, empty, malformed or not UTF-8. */
export { DataError } from '../tensor/errors.js';
