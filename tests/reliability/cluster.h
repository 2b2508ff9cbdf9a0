// Real `lahza serve` processes for the reliability tests: started with
// posix_spawn, their port read from the "serving at" line, killed with
// SIGKILL (a crash) or stopped with SIGTERM, and a small JSON client that
// survives the server disappearing (a dead server is a status 0 reply).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "http/test_client.h"

extern char** environ;

namespace lahza::reliability {

using nlohmann::json;
inline constexpr const char* kAdminToken = "reliability-admin-token-0123456789";

class ServeProcess {
 public:
  // Starts `lahza serve` on a free port against `db`; false when it did not
  // print its address within 30 s.
  bool Start(const std::string& db, int reconcile_ms = 200) {
    int out[2];
    if (pipe(out) != 0) return false;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    std::vector<std::string> args = {LAHZA_BINARY, "serve", "--port", "0", "--db", db, "--quiet",
                                     "--admin-token", kAdminToken, "--pin-hash", "min", "--web", "/nonexistent",
                                     "--threads", "4", "--reconcile-ms", std::to_string(reconcile_ms)};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = posix_spawn(&pid_, LAHZA_BINARY, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    if (rc != 0) {
      close(out[0]);
      pid_ = -1;
      return false;
    }
    // Read until the "serving at http://host:port/" line.
    std::string seen;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    std::smatch match;
    const std::regex address(R"(http://[0-9.]+:([0-9]+)/)");
    while (std::chrono::steady_clock::now() < deadline) {
      char buffer[512];
      ssize_t n = read(out[0], buffer, sizeof buffer);
      if (n > 0) seen.append(buffer, static_cast<size_t>(n));
      if (std::regex_search(seen, match, address)) {
        port_ = static_cast<uint16_t>(std::stoi(match[1].str()));
        close(out[0]);
        return true;
      }
      if (n == 0) break;  // exited
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    close(out[0]);
    Kill();
    return false;
  }
  void Kill() { Signal(SIGKILL); }
  void Stop() { Signal(SIGTERM); }
  ~ServeProcess() { Kill(); }
  uint16_t port() const { return port_; }
  bool running() const { return pid_ > 0; }

 private:
  void Signal(int sig) {
    if (pid_ <= 0) return;
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

struct Reply {
  int status = 0;  // 0: no answer (connection refused or reset: the server died)
  json body;
  std::string code() const {
    return body.is_object() && body.contains("error") ? body["error"].value("code", "") : "";
  }
};

// One connection; not thread-safe (one per client thread).
class Client {
 public:
  explicit Client(uint16_t port) : port_(port), http_(std::make_unique<testing::HttpClient>(port)) {}
  void Retarget(uint16_t port) {
    if (port != port_) {
      port_ = port;
      http_ = std::make_unique<testing::HttpClient>(port);
    }
  }
  Reply Call(const std::string& method, const std::string& target, const json& body = nullptr,
             const std::string& token = {}, const std::string& device = "phone-1") {
    std::map<std::string, std::string> headers;
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    if (!device.empty()) headers["X-Device-Id"] = device;
    try {
      auto response = http_->Request(method, target, body.is_null() ? std::string() : body.dump(), headers);
      return Reply{response.status, json::parse(response.body, nullptr, false)};
    } catch (const std::exception&) {
      http_ = std::make_unique<testing::HttpClient>(port_);
      return Reply{};
    }
  }
  Reply Admin(const std::string& method, const std::string& target, const json& body = nullptr) {
    return Call(method, target, body, kAdminToken, "");
  }
  testing::HttpClient& http() { return *http_; }

  std::string LatestOtp(const std::string& mobile) {
    Reply reply = Admin("GET", "/api/v1/admin/outbox?mobile=" + mobile);
    if (reply.status != 200 || !reply.body.contains("messages") || reply.body["messages"].empty()) return {};
    std::string text = reply.body["messages"][0]["body"];
    std::smatch match;
    static const std::regex six("[0-9]{6}");
    return std::regex_search(text, match, six) ? match.str() : std::string();
  }

  // Opens a bank account for `mobile` at `bank`, registers and activates the
  // customer; returns the session token (empty on failure, reason in *why).
  std::string Onboard(const std::string& mobile, const std::string& national_id, const std::string& bank,
                      const std::string& account_number, const std::string& name, int64_t balance,
                      const std::string& pin, std::string* why) {
    Reply opened = Admin("POST", "/api/v1/admin/institution-accounts",
                         {{"participant", bank}, {"account_number", account_number}, {"name_ar", "عميل " + name},
                          {"name_en", name}, {"mobile", mobile}, {"opening_balance", balance}});
    if (opened.status != 201) return *why = "open account: " + opened.body.dump(), "";
    Reply registered = Call("POST", "/api/v1/register",
                            {{"mobile", mobile}, {"national_id", national_id}, {"device_id", "phone-1"},
                             {"account", {{"participant", bank}, {"account_number", account_number}}}},
                            "", "");
    if (registered.status != 201) return *why = "register: " + registered.body.dump(), "";
    Reply confirmed = Call("POST", "/api/v1/register/confirm",
                           {{"mobile", mobile}, {"otp", LatestOtp(mobile)}, {"pin", pin}, {"device_id", "phone-1"}},
                           "", "");
    if (confirmed.status != 201) return *why = "confirm: " + confirmed.body.dump(), "";
    return confirmed.body.value("token", "");
  }

 private:
  uint16_t port_;
  std::unique_ptr<testing::HttpClient> http_;
};

// Piastres from a money field, whichever shape the API uses for it.
inline int64_t Piastres(const json& value) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_object() && value.contains("piastres")) return value["piastres"].get<int64_t>();
  return -1;
}

// Valid national IDs: born 1..28 Jan 1990 in Cairo (01), sequence by index.
inline std::string NationalId(int index) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "29001%02d01%04d1", 1 + index % 28, 1000 + index % 9000);
  return buffer;
}

}  // namespace lahza::reliability
