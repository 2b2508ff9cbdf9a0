// The HTTP load generator of lahza_http_bench: keep-alive connections driven
// by one thread through epoll, as wrk does, instead of a blocking thread per
// connection. On this 2-core machine the generator shares the cores with the
// server it measures; a thread per connection cost two thread switches per
// request (block in recv, wake on the response) on top of the server's own.
// Here a response costs one recv and the next request one send, and the
// thread sleeps only when no connection has anything to read.
//
// Each connection has one request in flight at a time (no pipelining), so
// `connections` is the number of concurrent requests, as before.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace lahza::bench {

// What the generator saw of one response: enough to classify it.
struct LoadResponse {
  int status = 0;
  std::string_view body;
};

class LoadGenerator {
 public:
  // next_request(connection, n) is the whole HTTP request text for the n-th
  // request on that connection; on_response classifies each answer.
  using NextRequest = std::function<std::string(int connection, int64_t n)>;
  using OnResponse = std::function<void(int connection, const LoadResponse& response)>;

  LoadGenerator(uint16_t port, int connections, NextRequest next, OnResponse on_response)
      : port_(port), next_(std::move(next)), on_response_(std::move(on_response)), connections_(connections) {
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) throw std::runtime_error("epoll_create1");
  }
  ~LoadGenerator() {
    for (Conn& c : connections_) Close(c);
    ::close(epoll_);
  }
  LoadGenerator(const LoadGenerator&) = delete;
  LoadGenerator& operator=(const LoadGenerator&) = delete;

  // Runs until `stop` is set, then until every request in flight has its
  // answer (or 10 s have passed). Latencies are per connection, in ms.
  void Run(const std::atomic<bool>& stop) {
    run_began_ = std::chrono::steady_clock::now();
    for (size_t i = 0; i < connections_.size(); ++i) Start(static_cast<int>(i));
    std::vector<epoll_event> events(connections_.size());
    std::chrono::steady_clock::time_point drain_deadline{};
    for (;;) {
      const bool stopping = stop.load(std::memory_order_relaxed);
      if (stopping && drain_deadline == std::chrono::steady_clock::time_point{}) {
        drain_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      }
      if (stopping && (in_flight_ == 0 || std::chrono::steady_clock::now() > drain_deadline)) return;
      int ready = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 50);
      if (ready < 0 && errno != EINTR) throw std::runtime_error("epoll_wait");
      for (int e = 0; e < ready; ++e) {
        const int index = static_cast<int>(events[e].data.u32);
        if (connections_[index].fd < 0) continue;  // failed earlier in this round
        if (events[e].events & EPOLLOUT) Flush(index);
        if (connections_[index].fd >= 0 && (events[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) Receive(index, stop);
      }
      // Connections that failed start over on a new socket, as a client would.
      std::vector<int> failed;
      failed.swap(failed_);
      if (!stop.load(std::memory_order_relaxed)) {
        for (int index : failed) Start(index);
      }
    }
  }

  const std::vector<double>& latencies(int connection) const { return connections_[connection].latencies; }
  // When each of those requests was sent, in ms since Run began (the same order).
  const std::vector<double>& sent_at(int connection) const { return connections_[connection].sent_at; }
  int64_t transport_errors() const { return transport_errors_; }

 private:
  struct Conn {
    int fd = -1;
    int64_t n = 0;        // requests sent on this connection
    bool waiting = false;  // a request is in flight
    bool watching_out = false;  // EPOLLOUT is in the socket's epoll mask
    std::string out;       // request bytes not yet sent
    size_t out_sent = 0;
    std::string in;        // response bytes received so far
    std::chrono::steady_clock::time_point begin;
    std::vector<double> latencies;
    std::vector<double> sent_at;
  };

  void Connect(int index) {
    Conn& c = connections_[index];
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c.fd < 0) throw std::runtime_error("socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port_);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(c.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("connect");
    }
    int one = 1;
    ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::fcntl(c.fd, F_SETFL, ::fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u32 = static_cast<uint32_t>(index);
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &event) != 0) throw std::runtime_error("epoll_ctl");
  }

  void Close(Conn& c) {
    if (c.fd >= 0) ::close(c.fd);  // also leaves the epoll set
    c.fd = -1;
    c.in.clear();
    c.out.clear();
    c.out_sent = 0;
    c.watching_out = false;
    if (c.waiting) --in_flight_;
    c.waiting = false;
  }

  // The next request on connection `index`, on a new socket if it has none.
  void Start(int index) {
    Conn& c = connections_[index];
    if (c.fd < 0) Connect(index);
    c.out = next_(index, c.n++);
    c.out_sent = 0;
    c.waiting = true;
    ++in_flight_;
    c.begin = std::chrono::steady_clock::now();
    Flush(index);
  }

  void Flush(int index) {
    Conn& c = connections_[index];
    while (c.fd >= 0 && c.out_sent < c.out.size()) {
      ssize_t n = ::send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_sent += static_cast<size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        Watch(index, EPOLLIN | EPOLLOUT);  // the rest when the socket can take it
        return;
      } else {
        return Fail(index);
      }
    }
    if (c.fd >= 0 && c.out_sent == c.out.size() && !c.out.empty()) {
      c.out.clear();
      c.out_sent = 0;
      Watch(index, EPOLLIN);
    }
  }

  void Watch(int index, uint32_t mask) {
    Conn& c = connections_[index];
    if (c.watching_out == ((mask & EPOLLOUT) != 0)) return;
    epoll_event event{};
    event.events = mask;
    event.data.u32 = static_cast<uint32_t>(index);
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &event);
    c.watching_out = (mask & EPOLLOUT) != 0;
  }

  void Receive(int index, const std::atomic<bool>& stop) {
    Conn& c = connections_[index];
    char chunk[16384];
    for (;;) {
      ssize_t n = ::recv(c.fd, chunk, sizeof chunk, 0);
      if (n > 0) {
        c.in.append(chunk, static_cast<size_t>(n));
        if (static_cast<size_t>(n) < sizeof chunk) break;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        break;
      } else {
        return Fail(index);  // closed or reset
      }
    }
    LoadResponse response;
    size_t consumed = 0;
    if (!Parse(c.in, &response, &consumed)) return;  // not complete yet
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - c.begin).count();
    c.latencies.push_back(ms);
    c.sent_at.push_back(std::chrono::duration<double, std::milli>(c.begin - run_began_).count());
    c.waiting = false;
    --in_flight_;
    on_response_(index, response);
    c.in.erase(0, consumed);
    if (!stop.load(std::memory_order_relaxed)) Start(index);
  }

  // A transport failure: counted, and the connection starts over.
  void Fail(int index) {
    ++transport_errors_;
    Close(connections_[index]);
    failed_.push_back(index);
  }

  // One complete response at the front of `in`: status and Content-Length
  // body (the server always sends a length; it never chunks).
  static bool Parse(const std::string& in, LoadResponse* response, size_t* consumed) {
    const size_t head_end = in.find("\r\n\r\n");
    if (head_end == std::string::npos || head_end < 12) return false;
    response->status = std::atoi(in.c_str() + 9);
    size_t length = 0;
    for (size_t pos = in.find("\r\n") + 2; pos < head_end;) {
      size_t next = in.find("\r\n", pos);
      std::string_view line(in.data() + pos, next - pos);
      constexpr std::string_view kName = "content-length:";
      if (line.size() > kName.size() && EqualsIgnoringCase(line.substr(0, kName.size()), kName)) {
        length = std::strtoul(in.c_str() + pos + kName.size(), nullptr, 10);
      }
      pos = next + 2;
    }
    if (in.size() < head_end + 4 + length) return false;
    response->body = std::string_view(in.data() + head_end + 4, length);
    *consumed = head_end + 4 + length;
    return true;
  }

  static bool EqualsIgnoringCase(std::string_view a, std::string_view lower) {
    for (size_t i = 0; i < a.size(); ++i) {
      char ch = a[i];
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
      if (ch != lower[i]) return false;
    }
    return true;
  }

  uint16_t port_;
  NextRequest next_;
  OnResponse on_response_;
  std::vector<Conn> connections_;
  int epoll_ = -1;
  int64_t in_flight_ = 0;
  int64_t transport_errors_ = 0;
  std::chrono::steady_clock::time_point run_began_{};
  std::vector<int> failed_;  // connections to start over after this round of events
};

}  // namespace lahza::bench
