// Real `lahza serve` processes for the reliability tests: started with
// posix_spawn, their output written to a log file (kept when the test fails),
// their port read from its "serving at" line, killed with SIGKILL (a crash)
// or stopped with SIGTERM (a clean exit, checked), and a small JSON client
// that survives the server disappearing (a dead server is a status 0 reply).
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "http/test_client.h"

extern char** environ;

namespace lahza::reliability {

using nlohmann::json;
inline constexpr const char* kAdminToken = "reliability-admin-token-0123456789";

// The command line of a test server on a free port against `db`. A send a
// SIGKILL left unfinished ("initiated", "debited") goes to the reconciler
// after 5 s instead of production's 30: the bank test waits for every such
// send to settle. (A live send here takes well under a second, the `slow`
// fault's 300 ms included.)
inline std::vector<std::string> ServeArgs(const std::string& db, int reconcile_ms) {
  return {LAHZA_BINARY, "serve", "--port", "0", "--db", db, "--quiet",
          "--admin-token", kAdminToken, "--pin-hash", "min", "--web", "/nonexistent",
          "--threads", "4", "--reconcile-ms", std::to_string(reconcile_ms), "--stuck-after-ms", "5000"};
}

// Spawns `args` with stdout and stderr on `fd`; the child's pid, or -1.
inline pid_t SpawnWithOutput(std::vector<std::string> args, int fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fd, 1);
  posix_spawn_file_actions_adddup2(&actions, fd, 2);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

// The port of a "serving at http://host:port/" line in `output`, or 0.
inline uint16_t ServingPort(const std::string& output) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  for (size_t at = output.find("http://"); at != std::string::npos; at = output.find("http://", at + 1)) {
    size_t i = at + 7, host = i;
    while (i < output.size() && (digit(output[i]) || output[i] == '.')) ++i;
    if (i == host || i >= output.size() || output[i] != ':') continue;
    size_t port = ++i;
    while (i < output.size() && digit(output[i]) && i - port < 5) ++i;
    if (i == port || i >= output.size() || output[i] != '/') continue;
    int value = std::stoi(output.substr(port, i - port));
    if (value > 0 && value <= 65535) return static_cast<uint16_t>(value);
  }
  return 0;
}

class ServeProcess {
 public:
  // The server writes to a file, never to a pipe: a pipe nobody drains
  // blocks the server once full, and one closed by the reader turned the
  // server's next log line into SIGPIPE (every Stop() was really a crash).
  ServeProcess() {
    char pattern[] = "/tmp/lahza-serve-XXXXXX";
    if (mkdtemp(pattern) != nullptr) log_dir_ = pattern;
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;
  ~ServeProcess() {
    Kill();
    if (log_dir_.empty()) return;
    if (::testing::Test::HasFailure()) {
      std::fprintf(stderr, "lahza serve logs kept in %s\n", log_dir_.c_str());
    } else {
      std::error_code ignored;
      std::filesystem::remove_all(log_dir_, ignored);
    }
  }

  // Starts `lahza serve` on a free port against `db`; false (its log on
  // stderr) when it did not print its address within 30 s.
  bool Start(const std::string& db, int reconcile_ms = 200) {
    Kill();
    exit_status_ = -1;
    if (log_dir_.empty()) return false;
    log_path_ = log_dir_ + "/serve-" + std::to_string(++starts_) + ".log";
    int log = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (log < 0) return false;
    pid_ = SpawnWithOutput(ServeArgs(db, reconcile_ms), log);
    close(log);
    if (pid_ <= 0) {
      pid_ = -1;
      return false;
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (uint16_t port = ServingPort(Log()); port != 0) {
        port_ = port;
        return true;
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {  // exited before serving
        pid_ = -1;
        exit_status_ = status;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    Kill();
    std::fprintf(stderr, "lahza serve did not start on %s; its log (%s):\n%s\n", db.c_str(), log_path_.c_str(),
                 Log().c_str());
    return false;
  }
  void Kill() { Signal(SIGKILL); }
  // SIGTERM; true when the server then exited by itself with status 0
  // within 30 s (otherwise it is killed).
  bool Stop() { return Signal(SIGTERM); }
  uint16_t port() const { return port_; }
  bool running() const { return pid_ > 0; }
  // The wait status of a server that exited before it served (waitpid's),
  // or -1 (it served, or Start gave up on it).
  int exit_status() const { return exit_status_; }
  // The output of the latest start (for failure messages).
  std::string Log() const {
    std::ifstream in(log_path_, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }

 private:
  bool Signal(int sig) {
    if (pid_ <= 0) return false;
    kill(pid_, sig);
    int status = 0;
    bool reaped = false;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!reaped && std::chrono::steady_clock::now() < deadline) {
      reaped = waitpid(pid_, &status, WNOHANG) == pid_;
      if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!reaped) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
    pid_ = -1;
    return reaped && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  std::string log_dir_;
  std::string log_path_;
  int starts_ = 0;
  pid_t pid_ = -1;
  int exit_status_ = -1;
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
    return testing::OtpIn(text);
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
