#pragma once
// A scripted streaming HTTP server for the inference client tests: cpp-httplib on a
// free loopback port, answering POSTs with a list of (delay, bytes) steps through a
// chunked content provider. Every request's path, body and Authorization header is
// recorded. Handlers poll a stop flag while they wait, so tests end promptly even when
// the client gave up mid-stream.
#include <atomic>
#include <chrono>
#include <csignal>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include "loopback_socket.h"

namespace ipw::inference::testing {

struct Step {
  int delay_ms = 0;   // wait before sending
  std::string bytes;  // empty: send nothing (just wait)
};

struct Script {
  int status = 200;
  std::string content_type = "text/event-stream";
  std::vector<Step> steps;
  int repeat_last_ms = 0;  // > 0: after the steps, resend the last one this often until stopped
};

struct Recorded {
  std::string path;
  std::string body;
  std::string authorization;
  int remote_port = 0;  // the client's end of the connection the request came on
};

class TestServer {
 public:
  // nodelay false leaves Nagle's algorithm on, as some servers do.
  explicit TestServer(bool nodelay = true) {
    std::signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill the test binary
    svr_.set_keep_alive_timeout(1);
    svr_.set_tcp_nodelay(nodelay);  // else Nagle + delayed ACK add ~40 ms between chunks
    // One thread per connection: tests drive up to 32 streams at once.
    svr_.new_task_queue = [] { return new httplib::ThreadPool(32); };
    svr_.Post(".*", [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); });
    port_ = svr_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
    while (!svr_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~TestServer() {
    stopping_ = true;
    svr_.stop();
    thread_.join();
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  void set_script(Script s) {
    std::lock_guard lock(mu_);
    script_ = std::move(s);
  }
  std::vector<Recorded> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  // steady_clock instants (ns) at which each response's first non-empty step was written.
  std::vector<std::int64_t> first_write_ns() {
    std::lock_guard lock(mu_);
    return first_write_ns_;
  }
  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  // Sleeps in small steps; false once the server is stopping.
  bool wait_ms(int ms) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < end) {
      if (stopping_) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return !stopping_;
  }

  void handle(const httplib::Request& req, httplib::Response& res) {
    Script script;
    {
      std::lock_guard lock(mu_);
      requests_.push_back({req.path, req.body, req.get_header_value("Authorization"), req.remote_port});
      script = script_;
    }
    res.status = script.status;
    res.set_chunked_content_provider(
        script.content_type, [this, script](std::size_t, httplib::DataSink& sink) {
          bool first = true;
          for (const Step& step : script.steps) {
            if (!wait_ms(step.delay_ms)) return false;
            if (step.bytes.empty()) continue;
            if (first) {
              std::lock_guard lock(mu_);
              first_write_ns_.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                            std::chrono::steady_clock::now().time_since_epoch())
                                            .count());
              first = false;
            }
            if (!sink.write(step.bytes.data(), step.bytes.size())) return false;
          }
          while (script.repeat_last_ms > 0 && !script.steps.empty()) {
            if (!wait_ms(script.repeat_last_ms)) return false;
            const std::string& b = script.steps.back().bytes;
            if (!sink.write(b.data(), b.size())) return false;
          }
          sink.done();
          return true;
        });
  }

  httplib::Server svr_;
  int port_ = 0;
  std::vector<std::int64_t> first_write_ns_;  // guarded by mu_
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  Script script_;
  std::vector<Recorded> requests_;
};

// A loopback port nothing listens on: bind an ephemeral one, then let it go.
inline int refused_port() {
  const ipw::nettest::LoopbackSocket s = ipw::nettest::bind_loopback();
  if (s.fd >= 0) ::close(s.fd);
  return s.port;
}

}  // namespace ipw::inference::testing
