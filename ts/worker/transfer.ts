// comlink's default 'throw' handler keeps only message/name/stack, losing our `code`. This
// one carries the SDK's typed errors across the worker boundary intact. Register it on both
// sides (the worker script and createTrainer do).
import * as Comlink from 'comlink';
import { type ErrorCode, RecurrentRangeError, RecurrentTypeError } from '../errors.js';

interface WireError {
  isError: true;
  value: { name: string; message: string; stack?: string; code?: string };
}
interface WireValue {
  isError: false;
  value: unknown;
}

let registered = false;

export function registerErrorTransfer(): void {
  if (registered) return;
  registered = true;
  const base = Comlink.transferHandlers.get('throw')!;
  Comlink.transferHandlers.set('throw', {
    canHandle: base.canHandle,
    serialize(thrown: unknown): [WireError | WireValue, Transferable[]] {
      const value = (thrown as { value: unknown }).value;
      if (value instanceof Error) {
        return [{ isError: true, value: { name: value.name, message: value.message, stack: value.stack, code: (value as { code?: string }).code } }, []];
      }
      return [{ isError: false, value }, []];
    },
    deserialize(w: WireError | WireValue): never {
      if (!w.isError) throw w.value;
      const { name, message, stack, code } = w.value;
      let e: Error;
      if (code && name === 'RangeError') e = new RecurrentRangeError(code as ErrorCode, message);
      else if (code && name === 'TypeError') e = new RecurrentTypeError(code as ErrorCode, message);
      else e = Object.assign(new Error(message), { name, code });
      if (stack) e.stack = stack;
      throw e;
    },
  } as Comlink.TransferHandler<unknown, WireError | WireValue>);
}
