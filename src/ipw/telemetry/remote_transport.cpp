#include "ipw/telemetry/remote_transport.h"

#include <mutex>
#include <utility>

namespace ipw::telemetry {
namespace {

// Written once at start-up (before any spec is parsed), read when a `remote:`
// source is built; the mutex makes late installs in tests safe too.
std::mutex& factory_mutex() {
  static std::mutex mu;
  return mu;
}
RemoteTransportFactory& factory_slot() {
  static RemoteTransportFactory f;
  return f;
}

}  // namespace

void set_remote_transport_factory(RemoteTransportFactory factory) {
  std::lock_guard<std::mutex> l(factory_mutex());
  factory_slot() = std::move(factory);
}

RemoteTransportFactory remote_transport_factory() {
  std::lock_guard<std::mutex> l(factory_mutex());
  return factory_slot();
}

}  // namespace ipw::telemetry
