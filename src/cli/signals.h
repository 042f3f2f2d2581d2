#pragma once
#include <atomic>

namespace ipw::cli {

// Installs SIGINT/SIGTERM handlers that set the returned flag (the first signal
// asks for a clean stop; a second one terminates at once). The flag is the one
// process-wide state ipw keeps outside its registries: signal handlers need it.
const std::atomic<bool>& install_stop_handlers();

}  // namespace ipw::cli
