#pragma once
// Debian's cpp-httplib is a compiled library whose servers listen() with a queue of 5
// connections (CPPHTTPLIB_LISTEN_BACKLOG is fixed inside libcpp-httplib.so, so defining
// it here changes nothing). When more clients connect at once, the kernel drops their
// SYNs and they retry a second later: the proxy's p99 TTFT at 64 streams was 1.08 s
// (bench/proxy_latency.sh). listen() on a socket that already listens sets its queue
// anew, so each server widens its own after binding.
namespace ipw {

// listen(fd, backlog) on each socket of this process that listens on TCP `port`;
// returns how many there were (0: none found, the queue is unchanged).
int widen_listen_backlog(int port, int backlog = 4096);

}  // namespace ipw
