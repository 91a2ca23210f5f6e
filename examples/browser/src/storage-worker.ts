// Browser storage from a module Web Worker: lists the saved models and reads one by name (the
// page's `recurrentDemo.fromWorker(name)`; the browser test uses it to show that storage works
// off the main thread too).
import { listBrowserModels, loadFromBrowser } from 'recurrent-nn';

self.onmessage = async (e: MessageEvent<string>) => {
  try {
    const names = (await listBrowserModels()).map((m) => m.name);
    const bytes = await loadFromBrowser(e.data);
    self.postMessage({ names, bytes: bytes.length });
  } catch (err) {
    self.postMessage({ error: `${(err as { code?: string }).code ?? ''} ${(err as Error).message}` });
  }
};
