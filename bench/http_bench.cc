// End-to-end HTTP load: many keep-alive connections sending money through
// POST /api/v1/payments/send for a fixed time, against a real server on
// loopback (in this process, on a fresh SQLite or PostgreSQL database).
// Each request authenticates a session, verifies the PIN (argon2id at the
// minimum cost, as `lahza serve --pin-hash min`, or `--pin-hash interactive`
// as in production; a customer's run of payments hits the verified-PIN cache
// after the first), checks care's transfer freeze (as `lahza serve` does),
// runs the switch (one group-committed transaction for the
// whole send on the direct path), and prints transfers/s and p50/p99/p99.9.
//
// `--route healthz` drives GET /healthz instead, on the same connections and
// threads: the floor that HTTP, the router and this load generator cost on
// their own, against which a transfer's cost can be read.
//
// It also says how much of the latency tail came in stalls that held every
// connection at once; `--latency-log FILE` writes each transfer's send time
// and latency, to line them up with what the server did then.
//
//   lahza_http_bench [--db sqlite:/tmp/x.db] [--connections 64] [--seconds 10] [--customers 200]
//                    [--threads N] [--blocking-threads 32] [--pin-hash min|interactive]
//                    [--route send|healthz] [--latency-log FILE]
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include <dlfcn.h>
#include <sys/resource.h>

#include "app/app.h"
#include "care/cases.h"
#include "core/cairo_time.h"
#include "http/server.h"
#include "http/test_client.h"
#include "core/thread_name.h"
#include "load_generator.h"
#include "ipn/switch.h"
#include "writer_stats.h"
#include "ledger/ledger.h"
#include "store/store.h"

using nlohmann::json;
using lahza::testing::HttpClient;

namespace {

// CPU seconds (user + system) this process has used so far, all threads.
double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

constexpr const char* kAdmin = "bench-admin";

json Call(HttpClient& client, const std::string& method, const std::string& target, const json& body,
          const std::string& token, int* status) {
  std::map<std::string, std::string> headers{{"X-Device-Id", "bench"}};
  if (!token.empty()) headers["Authorization"] = "Bearer " + token;
  auto response = client.Request(method, target, body.is_null() ? "" : body.dump(), headers);
  if (status) *status = response.status;
  return json::parse(response.body, nullptr, false);
}

std::string Mobile(int i) {
  std::string digits = std::to_string(10'000'000 + i);
  return "0100" + digits.substr(1);
}

// Registers customer i over HTTP (bank account first, then register, OTP from
// the outbox, confirm) and returns its token.
std::string Onboard(HttpClient& client, int i) {
  std::string mobile = Mobile(i);
  std::string account = std::to_string(500'000'000 + i);
  int status = 0;
  Call(client, "POST", "/api/v1/admin/institution-accounts",
       {{"participant", i % 2 ? "NBE" : "CIB"}, {"account_number", account}, {"name_ar", "عميل"}, {"name_en", "Bench Customer"},
        {"mobile", mobile}, {"opening_balance", 100'000'000}},
       kAdmin, &status);
  if (status != 201) throw std::runtime_error("open account failed");
  std::string day = std::to_string(1 + i % 28);
  if (day.size() < 2) day = "0" + day;
  std::string nid = "29001" + day + "01" + std::to_string(1000 + i % 9000) + "1";
  json reg = Call(client, "POST", "/api/v1/register",
                  {{"mobile", mobile}, {"national_id", nid}, {"device_id", "bench"},
                   {"account", {{"participant", i % 2 ? "NBE" : "CIB"}, {"account_number", account}}}},
                  "", &status);
  if (status != 201) throw std::runtime_error("register failed: " + reg.dump());
  json outbox = Call(client, "GET", "/api/v1/admin/outbox?mobile=" + mobile, nullptr, kAdmin, &status);
  std::string otp = lahza::testing::OtpIn(outbox["messages"][0]["body"].get<std::string>());
  json done = Call(client, "POST", "/api/v1/register/confirm",
                   {{"mobile", mobile}, {"otp", otp}, {"pin", "123456"}, {"device_id", "bench"}}, "", &status);
  if (status != 201) throw std::runtime_error("confirm failed: " + done.dump());
  return done["token"];
}

}  // namespace

// Whether the slowest requests are spread over the run or come together:
// the share of the requests slower than p99 that were sent in 50 ms windows
// where at least a tenth of what was sent was that slow. A high share with
// few such windows means stalls that hold every connection at once (a
// checkpoint, a slow fsync), not a queue that is merely long.
void PrintTailWindows(const lahza::bench::LoadGenerator& load, int connections, double p99) {
  constexpr double kWindowMs = 50;
  std::map<int64_t, std::pair<int64_t, int64_t>> windows;  // window -> (sent, slower than p99)
  int64_t slow = 0;
  for (int c = 0; c < connections; ++c) {
    for (size_t i = 0; i < load.latencies(c).size(); ++i) {
      auto& [sent, slower] = windows[static_cast<int64_t>(load.sent_at(c)[i] / kWindowMs)];
      ++sent;
      if (load.latencies(c)[i] > p99) ++slower, ++slow;
    }
  }
  if (slow == 0) return;
  int64_t stalls = 0, in_stalls = 0;
  for (const auto& [window, counts] : windows) {
    if (counts.second * 10 >= counts.first && counts.second > 0) ++stalls, in_stalls += counts.second;
  }
  std::printf("latency tail: %.0f %% of the requests slower than p99 were sent in %lld of %zu windows of %.0f ms "
              "(%.1f stalls a second)\n",
              100.0 * static_cast<double>(in_stalls) / static_cast<double>(slow), static_cast<long long>(stalls),
              windows.size(), kWindowMs, static_cast<double>(stalls) * 1000.0 / (kWindowMs * static_cast<double>(windows.size())));
}

int main(int argc, char** argv) {
  CLI::App cli{"HTTP end-to-end transfer benchmark"};
  std::string db;
  std::string latency_log;
  int connections = 64, seconds = 10, customers = 200, threads = 0;
  std::string pin_hash = "min", route = "send";
  cli.add_option("--db", db, "database URL (default: a fresh SQLite file in /tmp)");
  cli.add_option("--connections", connections);
  cli.add_option("--seconds", seconds);
  cli.add_option("--customers", customers);
  int blocking_threads = 32;
  cli.add_option("--threads", threads, "server event-loop threads (0: one per core but one, as lahza serve)");
  cli.add_option("--blocking-threads", blocking_threads, "server threads for blocking routes");
  cli.add_option("--pin-hash", pin_hash, "argon2id cost of the customers' PINs: min or interactive (production)")
      ->check(CLI::IsMember({"min", "interactive"}));
  cli.add_option("--latency-log", latency_log,
                 "write each transfer's send time and latency (ms, tab-separated) to this file, to see when the tail happens");
  cli.add_option("--route", route, "send: POST /api/v1/payments/send; healthz: GET /healthz (the HTTP floor)")
      ->check(CLI::IsMember({"send", "healthz"}));
  CLI11_PARSE(cli, argc, argv);
  std::filesystem::path dir;
  if (db.empty()) {
    dir = std::filesystem::temp_directory_path() / ("lahza-http-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    db = "sqlite:" + (dir / "bench.db").string();
  }
  auto store = lahza::store::Open(db);
  if (!store) return std::cerr << "open: " << store.error().code << " " << store.error().detail << "\n", 1;
  auto ledger = lahza::ledger::Ledger::Open(**store);
  if (!ledger) return std::cerr << "ledger: " << ledger.error().code << "\n", 1;
  auto network = lahza::ipn::Switch::Open(**store, **ledger);
  if (!network) return std::cerr << "switch: " << network.error().code << "\n", 1;
  lahza::app::AppOptions options;
  options.admin_token = kAdmin;
  options.pin_hashing =
      pin_hash == "min" ? lahza::app::PinHashing::kMinimum : lahza::app::PinHashing::kInteractive;
  options.otp_per_minute = options.login_per_minute = options.pin_per_minute = 100'000'000;
  // Care's security freeze, checked on every payment as `lahza serve` does
  // (CaseService::Create makes care's tables).
  lahza::SystemClock clock;
  auto cases = lahza::care::CaseService::Create(**store, clock, nullptr);
  if (!cases) return std::cerr << "care: " << cases.error().code << "\n", 1;
  options.transfers_frozen = [](lahza::store::Transaction& tx, std::string_view customer_id) {
    return lahza::care::TransfersFrozen(tx, customer_id);
  };
  auto app = lahza::app::App::Open(**store, **network, options);
  if (!app) return std::cerr << "app: " << app.error().code << "\n", 1;
  lahza::http::Router router;
  (*app)->AddRoutes(router);
  lahza::http::AddHealthRoute(router);
  lahza::http::ServerOptions server_options;
  server_options.access_log = false;
  // As `lahza serve`: the payment route runs on the event loops and does not
  // wait there for the switch's group commit (Response::Later), so one loop
  // per core serves every connection, and a commit carries whatever is in
  // flight. (Until 2026-11-26 a payment's handler held its thread for the
  // commit, and the bench ran one server thread per connection.)
  server_options.threads = threads;
  server_options.blocking_threads = blocking_threads;
  server_options.after_durable = [&store = **store](std::function<void()> then) { store.WhenDurable(std::move(then)); };
  lahza::http::Server server(router, server_options);
  if (!server.Start()) return 1;

  const bool floor = route == "healthz";
  std::vector<std::string> tokens(customers);
  if (!floor) {
    std::atomic<int> next{0};
    std::vector<std::thread> workers;
    for (int w = 0; w < 8; ++w) {
      workers.emplace_back([&] {
        HttpClient client(server.port());
        for (int i = next++; i < customers; i = next++) tokens[i] = Onboard(client, i);
      });
    }
    for (auto& worker : workers) worker.join();
  }
  // Which malloc the figures were taken with (cmake/allocator.cmake): jemalloc
  // exports mallctl, glibc does not.
  const char* allocator = dlsym(RTLD_DEFAULT, "mallctl") != nullptr ? "jemalloc" : "glibc malloc";
  std::cout << "db " << db << ", " << (floor ? "GET /healthz" : std::to_string(customers) + " customers") << ", "
            << connections << " connections, " << seconds << " s, " << allocator << "\n";

  // The load: one generator thread (bench/load_generator.h), each connection
  // paying from its own customer to the others in turn.
  std::atomic<bool> stop{false};
  int64_t completed = 0, other_states = 0, errors = 0;
  const std::string send_prefix = R"({"kind":"mobile","amount":100,"pin":"123456","value":")";
  auto next_request = [&](int connection, int64_t n) {
    if (floor) return std::string("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const int from = connection % customers;
    const int to = (from + 1 + static_cast<int>(n % (customers - 1))) % customers;
    const std::string body = send_prefix + Mobile(to) + "\"}";
    return "POST /api/v1/payments/send HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + tokens[from] +
           "\r\nX-Device-Id: bench\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  auto on_response = [&](int, const lahza::bench::LoadResponse& response) {
    if (floor ? response.status == 200
              : response.status == 201 && response.body.find("\"state\":\"completed\"") != std::string_view::npos) {
      ++completed;
    } else if (!floor && response.status == 201) {
      ++other_states;
    } else {
      ++errors;
    }
  };
  lahza::bench::LoadGenerator load(server.port(), connections, next_request, on_response);
  auto started = std::chrono::steady_clock::now();
  const double cpu_started = ProcessCpuSeconds();
  const auto writer_before = (*network)->writer_stats();
  std::thread timer([&] {
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    stop = true;
  });
  lahza::NameThisThread("load-gen");  // this thread, from here on: the per-thread times tell it apart
  load.Run(stop);
  timer.join();
  errors += load.transport_errors();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double cpu_used = ProcessCpuSeconds() - cpu_started;
  const auto writer_after = (*network)->writer_stats();
  std::vector<double> all;
  for (int c = 0; c < connections; ++c) all.insert(all.end(), load.latencies(c).begin(), load.latencies(c).end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))]; };
  const char* unit = floor ? "requests" : "transfers";
  std::printf("%s completed: %lld (other states %lld, errors %lld) in %.1f s\n", unit, static_cast<long long>(completed),
              static_cast<long long>(other_states), static_cast<long long>(errors), elapsed);
  std::printf("throughput: %.0f %s/s\n", completed / elapsed, unit);
  // Run-to-run throughput on a shared 2-core machine varies by about 10 %;
  // CPU per transfer (server, switch, database and this load generator
  // together) is the steadier figure for comparing changes.
  std::printf("cpu: %.0f us per %s (%.2f cores busy)\n",
              completed ? cpu_used * 1e6 / static_cast<double>(completed) : 0.0, floor ? "request" : "transfer",
              cpu_used / elapsed);
  std::printf("latency ms: p50 %.2f  p99 %.2f  p99.9 %.2f  max %.2f\n", pct(0.50), pct(0.99), pct(0.999),
              all.empty() ? 0.0 : all.back());
  PrintTailWindows(load, connections, pct(0.99));
  lahza::bench::PrintWriterStats(writer_before, writer_after, elapsed);
  if (!latency_log.empty()) {
    std::ofstream log(latency_log);
    log << "sent_ms\tlatency_ms\n";
    for (int c = 0; c < connections; ++c) {
      for (size_t i = 0; i < load.latencies(c).size(); ++i) log << load.sent_at(c)[i] << '\t' << load.latencies(c)[i] << '\n';
    }
    if (!log) std::cerr << "could not write " << latency_log << "\n";
  }
  server.Stop();
  (*network)->SetNotifier({});
  if (!dir.empty()) std::filesystem::remove_all(dir);
  return 0;
}
