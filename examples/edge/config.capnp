# workerd config: one worker, three modules: the bundled script (SDK included), the wasm
# core (a compiled WebAssembly.Module for the script) and the saved model (an ArrayBuffer).
# `node build.mjs` makes dist/worker.js and model.safetensors; then:
#   workerd serve config.capnp --socket-addr http=127.0.0.1:8787
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .recurrentWorker)],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "main")],
);

const recurrentWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "dist/worker.js"),
    (name = "recurrent_wasm_bg.wasm", wasm = embed "../../dist/wasm/recurrent_wasm_bg.wasm"),
    (name = "model.safetensors", data = embed "model.safetensors"),
  ],
  compatibilityDate = "2025-09-01",
);
