// The HTTP/1.1 server (Boost.Beast inside server.cc only): keep-alive, event
// loops for the connections and the non-blocking routes, a pool for the
// routes that may block, deferred answers (Response::Later), a body-size cap,
// read timeouts against slow clients, request ids and an access log,
// graceful stop.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"
#include "http/router.h"

namespace lahza::http {

class Session;

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;               // 0: any free port (see Server::port())
  // Event-loop threads: they read and write every connection and run the
  // non-blocking routes (Router::AddNonBlocking). 0: one per core but one
  // (at least one). The core left over is for the process's own busy thread:
  // in lahza the switch's group-commit writer, which every payment waits for
  // and which, sharing 2 cores with two loops, waited for a CPU ≈ 12 % of the
  // time (one loop: +2 to +12 % transfers/s; docs/api.md, "Measured").
  int threads = 0;
  // Threads for the routes that may block (Router::Add): a handler waiting
  // for a commit or hashing a PIN holds one of these, never an event loop.
  // 0: blocking routes run on the event loops too.
  int blocking_threads = 32;
  size_t max_body_bytes = 64 * 1024;
  size_t max_header_bytes = 16 * 1024;
  // A request (headers and body) must arrive within this; also the idle
  // keep-alive limit. Slow clients (slowloris) are cut off after it.
  int read_timeout_ms = 10'000;
  bool access_log = true;
  // Holds every answer (but those marked Response::durable) until what its
  // handler read is durable: called with the sending, it runs it once every
  // commit made so far is (store::Store::WhenDurable). A handler may have
  // read what a group commit wrote before its flush, and a crash before the
  // flush would undo what the answer told. Empty: answers go at once.
  std::function<void(std::function<void()>)> after_durable;
};

class Server {
 public:
  // The router must outlive the server and is not changed after Start().
  Server(const Router& router, ServerOptions options);
  ~Server();  // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the worker threads; returns once listening.
  // Error: "http.listen_failed".
  Status Start();
  uint16_t port() const;
  // Stops accepting, closes connections, joins the threads. Idempotent.
  void Stop();
  // Blocks until Stop() is called (from another thread or a signal handler
  // installed by the caller).
  void Wait();

 private:
  struct Impl;
  friend class Session;
  std::unique_ptr<Impl> impl_;
};

// GET /healthz → {"status":"ok"}.
void AddHealthRoute(Router& router);

// GET /* serves files under `web_dir`: content type from the extension,
// index.html for directories and for unknown paths without an extension
// (single-page app), no escaping the folder ("..", symlinks out of it).
void AddStaticRoutes(Router& router, std::string web_dir);

}  // namespace lahza::http
