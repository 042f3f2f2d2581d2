#pragma once
// Resolving a function of a library loaded at run time with dlopen (NVML, AMD SMI,
// ROCm SMI, DuckDB): ipw then builds and runs without the library, and says so
// clearly where a feature needs it.
#include <dlfcn.h>

namespace ipw {

// Sets `out` to `symbol` in `handle`; false (and `out` null) when it is missing.
template <typename F>
bool resolve_symbol(void* handle, const char* symbol, F& out) {
  void* p = ::dlsym(handle, symbol);
  out = reinterpret_cast<F>(p);  // POSIX: dlsym results convert to function pointers
  return p != nullptr;
}

}  // namespace ipw
