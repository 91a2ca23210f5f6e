// The speech page's audio capture, on the audio thread: it collects the microphone's first
// channel in blocks of 4096 samples and posts each block (transferred) to the page. Unlike a
// ScriptProcessor, whose buffers are lost when the page's thread is late, a worklet runs on the
// audio thread itself and its messages queue until the page reads them.
const BLOCK = 4096;

class Capture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.buf = new Float32Array(BLOCK);
    this.n = 0;
  }
  process(inputs) {
    const ch = inputs[0]?.[0];
    if (!ch) return true;
    let i = 0;
    while (i < ch.length) {
      const k = Math.min(ch.length - i, BLOCK - this.n);
      this.buf.set(ch.subarray(i, i + k), this.n);
      this.n += k;
      i += k;
      if (this.n === BLOCK) {
        this.port.postMessage(this.buf, [this.buf.buffer]);
        this.buf = new Float32Array(BLOCK);
        this.n = 0;
      }
    }
    return true;
  }
}
registerProcessor('recurrent-capture', Capture);
