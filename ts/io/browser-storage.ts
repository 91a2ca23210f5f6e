// Model files kept by name in the browser's IndexedDB (database "recurrent-nn", version 1):
// store "models" holds the bytes by name, store "info" the {@link BrowserModelInfo} records, so
// a listing never reads the bytes. IndexedDB exists on the main thread and in Web Workers alike;
// where it does not (Node, Deno, edge runtimes, some private modes) every call is E_STATE.
import { optionError, stateError } from '../errors.js';

/** One model kept in the browser: what {@link listBrowserModels} lists. */
export interface BrowserModelInfo {
  /** The name it was saved under. */
  name: string;
  /** Size of the model file in bytes. */
  bytes: number;
  /** When it was saved (ISO 8601). */
  savedAt: string;
}

/** Anything that writes a model file: a `Trainer`, a `Session`, a task model (`Segmenter`,
 * `PosTagger`, `TextClassifier`, `G2P`, `SpeechRecognizer`...), or the bytes themselves. */
export type ModelSource =
  | Uint8Array
  | {
      /** The model file. */
      save(): Uint8Array | Promise<Uint8Array>;
    };

const DB = 'recurrent-nn';
const MODELS = 'models';
const INFO = 'info';
/** Names are keys: non-empty, at most this many characters. */
export const MAX_MODEL_NAME = 256;

function checkName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_MODEL_NAME)
    throw optionError(
      `a browser model name must be a non-empty string of at most ${MAX_MODEL_NAME} characters (got ${typeof name === 'string' ? `'${name.slice(0, 40)}'` : typeof name})`,
    );
  return name;
}

function idb(): IDBFactory {
  const f = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!f) throw stateError('browser storage needs IndexedDB, which this runtime does not have (save the bytes of save() to a file instead)');
  return f;
}

const done = <T>(r: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(storageError(r.error));
  });

function storageError(e: DOMException | null): Error {
  // QuotaExceededError, a blocked upgrade, private-mode refusals: one typed error naming the cause
  return stateError(`browser storage failed: ${e?.name ?? 'Error'}${e?.message ? `: ${e.message}` : ''}`);
}

function open(): Promise<IDBDatabase> {
  const req = idb().open(DB, 1);
  req.onupgradeneeded = () => {
    const db = req.result;
    if (!db.objectStoreNames.contains(MODELS)) db.createObjectStore(MODELS);
    if (!db.objectStoreNames.contains(INFO)) db.createObjectStore(INFO, { keyPath: 'name' });
  };
  return done(req);
}

/** Runs `fn` in one transaction over both stores; resolves once the transaction committed. */
async function transact<T>(mode: IDBTransactionMode, fn: (models: IDBObjectStore, info: IDBObjectStore) => Promise<T>): Promise<T> {
  const db = await open();
  try {
    const tx = db.transaction([MODELS, INFO], mode);
    const committed = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onabort = tx.onerror = () => reject(storageError(tx.error));
    });
    committed.catch(() => undefined); // observed below; never an unhandled rejection
    const result = await fn(tx.objectStore(MODELS), tx.objectStore(INFO));
    await committed;
    return result;
  } finally {
    db.close();
  }
}

/**
 * Saves a model in the browser's storage (IndexedDB) under `name`, replacing one saved under
 * the same name. Works on the main thread and in Web Workers. E_OPTION for a bad name, E_STATE
 * where there is no IndexedDB or the browser refuses (quota, private mode).
 * @example
 * ```ts
 * // browser only (IndexedDB; Node has none)
 * const trainer = await createTrainer();
 * await trainer.build(sequential({ input: { vocab: 20 } }).embedding({ dim: 8 }).lstm({ units: 16 }).dense({ units: 20 }), { seed: 1 });
 * const saved = await saveToBrowser('names-lstm', trainer);
 * console.log(saved.bytes, saved.savedAt);
 * ```
 */
export async function saveToBrowser(name: string, model: ModelSource): Promise<BrowserModelInfo> {
  checkName(name);
  idb();
  const bytes = model instanceof Uint8Array ? model : await model?.save?.();
  if (!(bytes instanceof Uint8Array)) throw optionError('saveToBrowser takes model bytes or an object with save() (a Trainer, Session or task model)');
  const info: BrowserModelInfo = { name, bytes: bytes.length, savedAt: new Date().toISOString() };
  // a copy: the caller's array may be a view into memory that changes later
  const copy = bytes.slice();
  await transact('readwrite', async (models, infos) => {
    models.put(copy, name);
    infos.put(info);
  });
  return info;
}

/**
 * The model file saved under `name` (load it with `trainer.load(bytes)` or a task's `load`).
 * E_STATE when nothing is saved under that name or there is no IndexedDB.
 * @example
 * ```ts
 * // browser only (IndexedDB; Node has none)
 * const trainer = await createTrainer();
 * await trainer.load(await loadFromBrowser('names-lstm'));
 * ```
 */
export async function loadFromBrowser(name: string): Promise<Uint8Array> {
  checkName(name);
  const bytes = await transact('readonly', (models) => done(models.get(name) as IDBRequest<Uint8Array | undefined>));
  if (!(bytes instanceof Uint8Array)) throw stateError(`no model is saved in this browser under '${name}' (listBrowserModels() lists them)`);
  return bytes;
}

/**
 * The models saved in this browser (this origin), by name.
 * @example
 * ```ts
 * // browser only (IndexedDB; Node has none)
 * for (const m of await listBrowserModels()) console.log(m.name, m.bytes, m.savedAt);
 * ```
 */
export async function listBrowserModels(): Promise<BrowserModelInfo[]> {
  const all = await transact('readonly', (_, infos) => done(infos.getAll() as IDBRequest<BrowserModelInfo[]>));
  return all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Deletes the model saved under `name`; resolves to whether there was one.
 * @example
 * ```ts
 * // browser only (IndexedDB; Node has none)
 * await deleteBrowserModel('names-lstm'); // true, then false
 * ```
 */
export async function deleteBrowserModel(name: string): Promise<boolean> {
  checkName(name);
  return transact('readwrite', async (models, infos) => {
    // every request queued at once (in order), so the transaction never idles in between
    const had = done(infos.count(name));
    models.delete(name);
    infos.delete(name);
    return (await had) > 0;
  });
}
