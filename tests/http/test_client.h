// A tiny blocking HTTP/1.1 client over POSIX sockets for tests and the
// benchmark: keep-alive, Content-Length bodies only (what our server sends).
// Deliberately not Beast, so tests exercise the server from the outside.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace lahza::testing {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

class HttpClient {
 public:
  explicit HttpClient(uint16_t port) : port_(port) {}
  ~HttpClient() { Disconnect(); }
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  void Connect() {
    Disconnect();
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      Disconnect();
      throw std::runtime_error("connect");
    }
  }
  void Disconnect() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buffer_.clear();
  }
  bool connected() const { return fd_ >= 0; }

  // Sends raw bytes (for malformed-request tests).
  void SendRaw(const std::string& bytes) {
    if (fd_ < 0) Connect();
    size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send");
      sent += static_cast<size_t>(n);
    }
  }

  HttpResponse Request(const std::string& method, const std::string& target, const std::string& body = {},
                       const std::map<std::string, std::string>& headers = {}) {
    std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      request += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    }
    request += "\r\n" + body;
    // A keep-alive connection the server closed (idle timeout) is reopened once.
    for (int attempt = 0; attempt < 2; ++attempt) {
      try {
        if (fd_ < 0) Connect();
        SendRaw(request);
        return ReadResponse(method == "HEAD");
      } catch (const std::runtime_error&) {
        Disconnect();
        if (attempt == 1) throw;
      }
    }
    throw std::runtime_error("unreachable");
  }

  HttpResponse ReadResponse(bool head = false) {
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) Fill();
    HttpResponse response;
    std::string head_text = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    size_t line_end = head_text.find("\r\n");
    std::string status_line = head_text.substr(0, line_end);
    response.status = std::stoi(status_line.substr(9, 3));
    size_t pos = line_end == std::string::npos ? head_text.size() : line_end + 2;
    while (pos < head_text.size()) {
      size_t next = head_text.find("\r\n", pos);
      if (next == std::string::npos) next = head_text.size();
      std::string line = head_text.substr(pos, next - pos);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        size_t value_start = line.find_first_not_of(' ', colon + 1);
        response.headers[name] = value_start == std::string::npos ? "" : line.substr(value_start);
      }
      pos = next + 2;
    }
    size_t length = 0;
    if (auto it = response.headers.find("content-length"); it != response.headers.end() && !head) {
      length = std::stoul(it->second);
    }
    while (buffer_.size() < length) Fill();
    response.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    if (auto it = response.headers.find("connection"); it != response.headers.end() && it->second == "close") {
      Disconnect();
    }
    return response;
  }

  // Waits until at least `bytes` have come (kept for ReadUntilClosed);
  // false if the connection closed first.
  bool ReadAtLeast(size_t bytes) {
    try {
      while (buffer_.size() < bytes) Fill();
    } catch (const std::runtime_error&) {
      return false;
    }
    return true;
  }

  // Reads whatever comes until the server closes the connection: the bytes
  // read (those buffered before included), or nothing if it was still open
  // after `timeout_ms` without a byte.
  std::optional<size_t> ReadUntilClosed(int timeout_ms) {
    SetReceiveTimeout(timeout_ms);
    size_t total = buffer_.size();
    buffer_.clear();
    char chunk[65536];
    for (;;) {
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n > 0) {
        total += static_cast<size_t>(n);
      } else if (n == 0 || errno == ECONNRESET) {
        return total;
      } else if (errno != EINTR) {
        return std::nullopt;
      }
    }
  }

  // True when the server closed the connection (read returns 0) within the wait.
  bool WaitClosed(int timeout_ms) {
    SetReceiveTimeout(timeout_ms);
    char byte;
    ssize_t n = ::recv(fd_, &byte, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  void SetReceiveTimeout(int timeout_ms) {
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  void Fill() {
    char chunk[16384];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) throw std::runtime_error("connection closed");
    buffer_.append(chunk, static_cast<size_t>(n));
  }

  uint16_t port_;
  int fd_ = -1;
  std::string buffer_;
};

// The one-time password in an SMS text read back from the admin outbox: the
// first run of exactly six ASCII digits ("" when none). Hand-written rather
// than std::regex, which costs every including file ≈ 2 s of compile time
// (≈ 4 s under ASan) and trips GCC 12's -Wmaybe-uninitialized there.
inline std::string OtpIn(std::string_view text) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  for (size_t i = 0; i < text.size();) {
    size_t run = 0;
    while (i + run < text.size() && digit(text[i + run])) ++run;
    if (run == 6) return std::string(text.substr(i, 6));
    i += run + 1;
  }
  return {};
}

}  // namespace lahza::testing
