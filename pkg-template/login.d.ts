// `instagate/login`: the browser login helpers alone (a small wasm module).
// The same functions and types as the main entry's.
export {
  defineConfig, createLogin, validateCallback, startLogin, completeLogin, InstagateError,
  type InstagateConfig, type Product, type LoginOptions, type CreatedLogin, type ValidatedCallback,
  type StartLoginOptions, type StartedLogin, type CompletedLogin, type ErrorKind, type InstagateErrorFields,
} from './index.js';
