// libuv reads UV_THREADPOOL_SIZE when its pool first starts; this module is imported first.
process.env.UV_THREADPOOL_SIZE ??= '8';
export {};
