// Browser storage (saveToBrowser & co.) where there is no IndexedDB: every call is a typed
// E_STATE naming what is missing, and bad names are E_OPTION before anything else. The round
// trip itself (save, reload the page, load, identical predictions; from a worker too) runs in
// Chromium: test/browser.test.ts.
import { describe, expect, it } from 'vitest';
import { deleteBrowserModel, listBrowserModels, loadFromBrowser, saveToBrowser } from '../ts/index.js';

describe('browser storage without IndexedDB (Node)', () => {
  it('each call is E_STATE saying that IndexedDB is missing', async () => {
    expect((globalThis as { indexedDB?: unknown }).indexedDB).toBeUndefined();
    const missing = expect.objectContaining({ code: 'E_STATE', message: expect.stringMatching(/^browser storage needs IndexedDB/) });
    await expect(saveToBrowser('m', new Uint8Array(4))).rejects.toEqual(missing);
    await expect(loadFromBrowser('m')).rejects.toEqual(missing);
    await expect(listBrowserModels()).rejects.toEqual(missing);
    await expect(deleteBrowserModel('m')).rejects.toEqual(missing);
  });

  it('a bad name is E_OPTION, whatever the runtime', async () => {
    for (const bad of ['', 'x'.repeat(257), 42 as unknown as string]) {
      await expect(saveToBrowser(bad, new Uint8Array(4))).rejects.toMatchObject({ code: 'E_OPTION', message: expect.stringMatching(/browser model name/) });
      await expect(loadFromBrowser(bad)).rejects.toMatchObject({ code: 'E_OPTION' });
      await expect(deleteBrowserModel(bad)).rejects.toMatchObject({ code: 'E_OPTION' });
    }
  });
});
