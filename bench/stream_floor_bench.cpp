// The floor under any streaming client on this machine (docs/BENCHMARKS.md, "Load:
// the client at scale"): N streams to an OpenAI-compatible server driven by one
// epoll loop that does the least a client can — one non-blocking recv per readiness
// event, each token event found by a byte scan and stamped, no HTTP library, no JSON,
// no store. Its CPU per token and its lag are what the kernel and this machine cost;
// bench/client_scale.sh runs it beside ipw and aiohttp.
//
// usage: stream_floor_bench HOST:PORT STREAMS REQUESTS PROMPTS.jsonl OUT.json
// Writes {"cpu_s": user+sys seconds, "stamps": {prompt: [t_ns per content token]}}
// (monotonic clock), the format client_scale.sh's lag script reads.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Stream {
  int fd = -1;
  bool connected = false;
  std::size_t prompt = 0;
  std::string carry;  // an event not yet ended by its blank line
  std::vector<std::int64_t> stamps;
};

class Floor {
 public:
  Floor(sockaddr_in addr, std::vector<std::string> prompts) : addr_(addr), prompts_(std::move(prompts)) {
    epoll_ = epoll_create1(0);
    if (epoll_ < 0) throw std::runtime_error("epoll_create1");
  }

  void run(std::size_t streams, std::size_t requests) {
    total_ = std::min(requests, prompts_.size());
    std::vector<Stream> slots(streams);
    for (Stream& s : slots) start(s);
    std::vector<char> buf(1 << 16);
    epoll_event events[256];
    while (done_ < total_) {
      const int n = epoll_wait(epoll_, events, 256, 1000);
      for (int i = 0; i < n; ++i) {
        Stream& s = *static_cast<Stream*>(events[i].data.ptr);
        if (!s.connected) {
          send_request(s);
          continue;
        }
        const ssize_t got = recv(s.fd, buf.data(), buf.size(), 0);
        const std::int64_t t = now_ns();
        if (got > 0) {
          scan(s, std::string_view(buf.data(), static_cast<std::size_t>(got)), t);
        } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
          end(s);
          start(s);
        }
      }
    }
  }

  nlohmann::json stamps() const { return stamps_; }

 private:
  void start(Stream& s) {
    if (sent_ >= total_) return;
    s.prompt = sent_++;
    s.carry.clear();
    s.stamps.clear();
    // Non-blocking: a connect the server's backlog holds back (a SYN retried after 1 s)
    // must not stall the other streams.
    s.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    s.connected = false;
    if (s.fd < 0 || (connect(s.fd, reinterpret_cast<const sockaddr*>(&addr_), sizeof addr_) != 0 && errno != EINPROGRESS)) {
      throw std::runtime_error("cannot connect to the server");
    }
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.ptr = &s;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, s.fd, &ev);
  }

  void send_request(Stream& s) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      throw std::runtime_error("cannot connect to the server");
    }
    s.connected = true;
    const std::string body = nlohmann::json{{"model", "mock"},
                                            {"stream", true},
                                            {"max_tokens", 100000},
                                            {"messages", {{{"role", "user"}, {"content", prompts_[s.prompt]}}}}}
                                 .dump();
    const std::string req = "POST /v1/chat/completions HTTP/1.1\r\nHost: floor\r\nContent-Type: application/json\r\n"
                            "Connection: close\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body;
    if (send(s.fd, req.data(), req.size(), 0) != static_cast<ssize_t>(req.size())) {
      throw std::runtime_error("cannot send the request");
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &s;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, s.fd, &ev);
  }

  // Stamps each complete event that carries content ("content":" then a character
  // other than the closing quote) with the arrival of the bytes that completed it.
  static void scan(Stream& s, std::string_view bytes, std::int64_t t) {
    s.carry.append(bytes);
    std::size_t from = 0;
    for (std::size_t end; (end = s.carry.find("\n\n", from)) != std::string::npos; from = end + 2) {
      const std::string_view event(s.carry.data() + from, end - from);
      const std::size_t at = event.find("\"content\":\"");
      if (at != std::string_view::npos && at + 11 < event.size() && event[at + 11] != '"') s.stamps.push_back(t);
    }
    s.carry.erase(0, from);
  }

  void end(Stream& s) {
    epoll_ctl(epoll_, EPOLL_CTL_DEL, s.fd, nullptr);
    close(s.fd);
    stamps_[prompts_[s.prompt]] = s.stamps;
    ++done_;
  }

  sockaddr_in addr_;
  std::vector<std::string> prompts_;
  int epoll_ = -1;
  std::size_t total_ = 0, sent_ = 0, done_ = 0;
  nlohmann::json stamps_ = nlohmann::json::object();
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: stream_floor_bench HOST:PORT STREAMS REQUESTS PROMPTS.jsonl OUT.json\n");
    return 2;
  }
  try {
    const std::string hostport = argv[1];
    const std::size_t colon = hostport.rfind(':');
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(std::stoi(hostport.substr(colon + 1))));
    if (inet_pton(AF_INET, hostport.substr(0, colon).c_str(), &addr.sin_addr) != 1) throw std::runtime_error("bad HOST");
    std::vector<std::string> prompts;
    std::ifstream in(argv[4]);
    for (std::string line; std::getline(in, line);) prompts.push_back(nlohmann::json::parse(line).at("prompt"));
    Floor floor(addr, std::move(prompts));
    floor.run(std::stoul(argv[2]), std::stoul(argv[3]));
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const double cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
    std::ofstream(argv[5]) << nlohmann::json{{"cpu_s", cpu_s}, {"stamps", floor.stamps()}}.dump();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stream_floor_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
