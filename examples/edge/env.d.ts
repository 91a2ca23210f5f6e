// Module types of the workerd config (config.capnp): `wasm` and `data` modules.
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
declare module '*.safetensors' {
  const bytes: ArrayBuffer;
  export default bytes;
}
