#include "http/server.h"

#include <spdlog/spdlog.h>
#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <vector>
#include <thread>

#include "core/thread_name.h"

namespace lahza::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
// Each event loop is an io_context run by one thread, and a connection
// belongs to one loop for its life: its handlers never run concurrently, so
// no strand serialises them, and the concrete executor type spares the
// type-erased any_io_executor that every operation would otherwise copy.
using LoopExecutor = net::io_context::executor_type;
using Socket = net::basic_stream_socket<tcp, LoopExecutor>;
using Acceptor = net::basic_socket_acceptor<tcp, LoopExecutor>;
using Clock = std::chrono::steady_clock;
using SweepTimer = net::basic_waitable_timer<Clock, net::wait_traits<Clock>, LoopExecutor>;

namespace {

// Request ids: a per-process random prefix plus a counter, cheap and unique
// enough to correlate a client's report with our log.
std::string NewRequestId() {
  static const std::string prefix = [] {
    unsigned char bytes[4];
    randombytes_buf(bytes, sizeof bytes);
    char hex[9];
    sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
    return std::string(hex);
  }();
  static std::atomic<uint64_t> counter{0};
  return prefix + "-" + std::to_string(++counter);
}

bool AcceptableRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

// Sessions waiting for another thread: for a deferred response
// (Response::Later), or for their answer's data to be durable
// (ServerOptions::after_durable). The way back may be taken from any thread,
// even after the server is gone (a payment whose commit outlasted Stop's
// grace period), so it holds only this gate, never the session or the
// server: the gate holds the waiting sessions, and Stop closes it before the
// server's loop and sessions go.
struct ReplyGate {
  std::mutex mutex;
  bool open = true;
  std::map<uint64_t, std::shared_ptr<Session>> waiting;  // by deferral, numbered from 1
  uint64_t deferrals = 0;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Socket socket, Server::Impl& server, size_t loop);
  void Start();
  void CloseIfIdle();
  // Closes the connection if the request it is reading, or the answer it is
  // writing, has outlived its deadline (ServerOptions::read_timeout_ms).
  void CloseIfOverdue(Clock::time_point now);
  ~Session();

 private:
  // What answering needs from a request once the request itself is gone.
  struct Answering {
    std::string request_id, remote_ip, method, path;
    bool keep_alive = false;
    std::chrono::steady_clock::time_point started;
  };

  void Read();
  void OnRead(beast::error_code ec);
  void Answer(Response response, const Answering& answering, bool on_loop);
  void AnswerLater(std::function<void(Reply)> start, const Answering& answering);
  // Parks this session in the reply gate; the way back, taken once from any
  // thread, runs its argument on this session's executor (nothing if the
  // server has stopped).
  using WayBack = std::function<void(std::function<void(const std::shared_ptr<Session>&)>)>;
  WayBack Park();
  void Respond(Response response, const Answering& answering);
  void Emit(Response response, const Answering& answering);
  void Send(Response response, bool keep_alive, bool head);
  void Close();

  Socket socket_;
  const size_t loop_;  // the index of the loop that runs this connection
  // When the read or write in progress must have ended; max() while neither
  // is (the request is with its handler). Checked by the loop's sweep
  // instead of a timer per operation, which cost every request two timer
  // queue updates.
  Clock::time_point deadline_ = Clock::time_point::max();
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Server::Impl& server_;
  std::string remote_ip_;
  bool busy_ = false;  // between a complete request and its written response
};

// One event loop: its io_context, the one thread that runs it, and the
// connections it runs, which only that thread touches.
struct Loop {
  net::io_context context{1};  // one thread: the scheduler's single-thread shortcuts
  // The loop must not run out of work while a session waits for a blocking
  // handler or a deferred reply (it then has no operation pending): its
  // thread would return, and the answer would never be written.
  std::optional<net::executor_work_guard<LoopExecutor>> keep_running;
  SweepTimer sweep{context};
  std::vector<std::weak_ptr<Session>> sessions;  // only this loop's thread
  std::thread thread;
};

struct Server::Impl {
  // Declared before the loops: sessions still queued in them when they are
  // destroyed report their end through these.
  std::mutex mutex;
  std::condition_variable changed;
  std::shared_ptr<ReplyGate> replies = std::make_shared<ReplyGate>();
  size_t live_sessions = 0;
  bool stopped = false;

  const Router& router;
  ServerOptions options;
  std::vector<std::unique_ptr<Loop>> loops;
  // On the first loop, whose thread alone runs the accept handler and
  // Stop()'s close (an acceptor is not safe for concurrent use).
  std::optional<Acceptor> acceptor;
  size_t next_loop = 0;  // the accept handler's round robin
  std::optional<net::thread_pool> blocking;  // Router::Add's routes (see ServerOptions)
  std::atomic<bool> stopping{false};
  bool started = false;
  uint16_t port = 0;

  Impl(const Router& r, ServerOptions o) : router(r), options(std::move(o)) {
    for (int i = 0; i < ThreadCount(options); ++i) loops.push_back(std::make_unique<Loop>());
    acceptor.emplace(loops.front()->context.get_executor());
  }

  static int ThreadCount(const ServerOptions& options) {
    if (options.threads > 0) return options.threads;
    const int cores = static_cast<int>(std::thread::hardware_concurrency());  // 0 when unknown
    return std::max(1, cores - 1);
  }

  // How often each loop looks for overdue reads and writes: a quarter of
  // the timeout, so a slow client is cut off within 1.25 of it, at most
  // once a second and at least every 10 ms.
  Clock::duration SweepPeriod() const {
    return std::clamp(std::chrono::milliseconds(options.read_timeout_ms / 4), std::chrono::milliseconds(10),
                      std::chrono::milliseconds(1000));
  }

  void Accept() {
    Loop& loop = *loops[next_loop];
    const size_t index = next_loop;
    next_loop = (next_loop + 1) % loops.size();
    acceptor->async_accept(loop.context.get_executor(), [this, index](beast::error_code ec, Socket socket) {
      if (ec) {
        if (!stopping) spdlog::warn("http: accept failed: {}", ec.message());
        if (stopping || ec == net::error::operation_aborted) return;
      } else {
        std::make_shared<Session>(std::move(socket), *this, index)->Start();
      }
      Accept();
    });
  }

  // Runs on `loop`'s thread, every SweepPeriod, until the loop stops.
  void Sweep(Loop& loop) {
    loop.sweep.expires_after(SweepPeriod());
    loop.sweep.async_wait([this, &loop](beast::error_code ec) {
      if (ec) return;
      const Clock::time_point now = Clock::now();
      std::erase_if(loop.sessions, [now](const std::weak_ptr<Session>& weak) {
        std::shared_ptr<Session> session = weak.lock();
        if (!session) return true;
        session->CloseIfOverdue(now);
        return false;
      });
      Sweep(loop);
    });
  }

  void SessionGone() {
    std::lock_guard lock(mutex);
    --live_sessions;
    changed.notify_all();
  }
};

Session::Session(Socket socket, Server::Impl& server, size_t loop)
    : socket_(std::move(socket)), loop_(loop), server_(server) {
  beast::error_code ec;
  auto endpoint = socket_.remote_endpoint(ec);
  if (!ec) remote_ip_ = endpoint.address().to_string();
  std::lock_guard lock(server_.mutex);
  ++server_.live_sessions;
}

Session::~Session() { server_.SessionGone(); }

void Session::Start() {
  net::dispatch(socket_.get_executor(), [self = shared_from_this()] {
    self->server_.loops[self->loop_]->sessions.push_back(self);
    self->Read();
  });
}

void Session::CloseIfOverdue(Clock::time_point now) {
  if (deadline_ <= now) Close();
}

void Session::Read() {
  if (server_.stopping) return Close();
  parser_.emplace();
  parser_->body_limit(server_.options.max_body_bytes);
  parser_->header_limit(static_cast<uint32_t>(server_.options.max_header_bytes));
  // One deadline for the whole request: a client that trickles bytes
  // (slowloris) or idles on a keep-alive connection is cut off after it.
  deadline_ = Clock::now() + std::chrono::milliseconds(server_.options.read_timeout_ms);
  bhttp::async_read(socket_, buffer_, *parser_,
                    [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
}

void Session::OnRead(beast::error_code ec) {
  deadline_ = Clock::time_point::max();  // the request is read; its handler has no deadline of ours
  // operation_aborted and bad_descriptor: closed, by the sweep or by Stop.
  if (ec == bhttp::error::end_of_stream || ec == net::error::operation_aborted || ec == net::error::bad_descriptor ||
      ec == net::error::connection_reset || ec == net::error::eof) {
    return Close();
  }
  if (ec == bhttp::error::body_limit) {
    return Send(ErrorResponse(413, Error("http.body_too_large")), false, false);
  }
  if (ec == bhttp::error::header_limit) {
    return Send(ErrorResponse(431, Error("http.headers_too_large")), false, false);
  }
  if (ec) return Send(ErrorResponse(400, Error("http.bad_request", ec.message())), false, false);

  auto started = std::chrono::steady_clock::now();
  busy_ = true;
  bhttp::request<bhttp::string_body> beast_request = parser_->release();
  Request request;
  request.method = std::string(beast_request.method_string());
  std::string_view target(beast_request.target().data(), beast_request.target().size());
  size_t question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
  for (const auto& field : beast_request) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers[name] = std::string(field.value());
  }
  request.body = std::move(beast_request.body());
  request.remote_ip = remote_ip_;
  std::string offered = request.Header("x-request-id");
  request.request_id = AcceptableRequestId(offered) ? offered : NewRequestId();

  Answering answering{request.request_id, request.remote_ip, request.method, request.path,
                      beast_request.keep_alive(), started};
  if (request.path.empty() || request.path[0] != '/') {
    return Respond(ErrorResponse(400, Error("http.bad_request", "target is not an absolute path")), answering);
  }
  const Router::Found found = server_.router.Match(request);
  if (server_.blocking && found.may_block) {
    // Off the event loop: its other connections go on meanwhile.
    net::post(*server_.blocking,
              [self = shared_from_this(), request = std::move(request), answering, found]() mutable {
                self->Answer(self->server_.router.Run(request, found), answering, false);
              });
    return;
  }
  Answer(server_.router.Run(request, found), answering, true);
}

// Sends `response`, or what it stands for: a Later one when its work
// replies, a Blocking one once its rest has run on the blocking pool.
// `on_loop`: called on this session's event loop (else a pool thread).
void Session::Answer(Response response, const Answering& answering, bool on_loop) {
  if (response.later) return AnswerLater(std::move(response.later), answering);
  if (response.blocking) {
    auto rest = [self = shared_from_this(), rest = std::move(response.blocking), answering] {
      Response made;
      try {
        made = rest();
      } catch (const std::exception& e) {
        spdlog::error("request {} {} {}: handler threw: {}", answering.request_id, answering.method, answering.path,
                      e.what());
        made = ErrorResponse(500, Error("internal", e.what()));
      }
      self->Answer(std::move(made), answering, false);
    };
    if (on_loop && server_.blocking) return net::post(*server_.blocking, std::move(rest));
    rest();
    return;
  }
  if (on_loop) return Respond(std::move(response), answering);
  net::post(socket_.get_executor(), [self = shared_from_this(), response = std::move(response), answering]() mutable {
    self->Respond(std::move(response), answering);
  });
}

// A deferred response (Response::Later): whoever finishes the work calls the
// Reply, from any thread; the response is made and sent on this session's
// own executor. If `start` throws before replying, the answer is a 500 and a
// later reply is dropped: a connection is answered once.
Session::WayBack Session::Park() {
  std::shared_ptr<ReplyGate> gate = server_.replies;
  uint64_t key = 0;
  {
    std::lock_guard lock(gate->mutex);
    key = ++gate->deferrals;
    gate->waiting[key] = shared_from_this();  // nothing else holds it until the way back
  }
  return [gate, key](std::function<void(const std::shared_ptr<Session>&)> then) {
    std::lock_guard lock(gate->mutex);
    auto waiting = gate->waiting.find(key);
    if (!gate->open || waiting == gate->waiting.end()) return;  // back already, or the server stopped
    std::shared_ptr<Session> self = std::move(waiting->second);
    gate->waiting.erase(waiting);
    // Posted under the gate's lock (Stop closes the gate before the loop
    // goes), and the only reference moves into the posted handler.
    auto executor = self->socket_.get_executor();
    net::post(executor, [self = std::move(self), then = std::move(then)] { then(self); });
  };
}

void Session::AnswerLater(std::function<void(Reply)> start, const Answering& answering) {
  WayBack back = Park();
  Reply reply = [back, answering](std::function<Response()> make) {
    back([answering, make = std::move(make)](const std::shared_ptr<Session>& self) {
      Response made;
      try {
        made = make();
      } catch (const std::exception& e) {
        spdlog::error("request {} {} {}: deferred response threw: {}", answering.request_id, answering.method,
                      answering.path, e.what());
        made = ErrorResponse(500, Error("internal", e.what()));
      }
      if (made.later) {  // a reply answers; it cannot defer again
        made = ErrorResponse(500, Error("internal", "deferred twice"));
      }
      self->Answer(std::move(made), answering, true);
    });
  };
  try {
    start(reply);
  } catch (const std::exception& e) {
    spdlog::error("request {} {} {}: handler threw: {}", answering.request_id, answering.method, answering.path,
                  e.what());
    Reply fallback = reply;  // a no-op if the work has replied already
    fallback([what = std::string(e.what())] { return ErrorResponse(500, Error("internal", what)); });
  }
}

void Session::Respond(Response response, const Answering& answering) {
  response.headers.emplace_back("X-Request-Id", answering.request_id);
  if (server_.options.after_durable && !response.durable) {
    // Sent from this session's executor once the store says durable, from
    // whichever thread says it.
    WayBack back = Park();
    server_.options.after_durable([back, response = std::move(response), answering]() mutable {
      back([response = std::move(response), answering](const std::shared_ptr<Session>& self) mutable {
        self->Emit(std::move(response), answering);
      });
    });
    return;
  }
  Emit(std::move(response), answering);
}

// Logs the answer, with the time it took until now, and sends it.
void Session::Emit(Response response, const Answering& answering) {
  if (server_.options.access_log) {
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                        answering.started)
                      .count();
    spdlog::info("{} {} {} {} {} {}B {:.1f}ms", answering.request_id, answering.remote_ip, answering.method,
                 answering.path, response.status, response.body.size(), micros / 1000.0);
  }
  Send(std::move(response), answering.keep_alive && !server_.stopping, answering.method == "HEAD");
}

void Session::Send(Response response, bool keep_alive, bool head) {
  auto message = std::make_shared<bhttp::response<bhttp::string_body>>();
  message->version(11);
  message->result(static_cast<unsigned>(response.status));
  message->set(bhttp::field::server, "lahza");
  message->set(bhttp::field::content_type, response.content_type);
  message->set("X-Content-Type-Options", "nosniff");
  for (auto& [name, value] : response.headers) message->set(name, value);
  message->keep_alive(keep_alive);
  message->body() = std::move(response.body);
  message->prepare_payload();
  if (head) message->body().clear();  // Content-Length stays that of the GET
  // A client that stops reading its answer is cut off like a slow sender.
  deadline_ = Clock::now() + std::chrono::milliseconds(server_.options.read_timeout_ms);
  bhttp::async_write(socket_, *message,
                     [self = shared_from_this(), message, keep_alive](beast::error_code ec, size_t) {
                       self->busy_ = false;
                       self->deadline_ = Clock::time_point::max();
                       if (ec || !keep_alive) return self->Close();
                       self->Read();
                     });
}

void Session::CloseIfIdle() {
  if (!busy_) Close();
}

void Session::Close() {
  beast::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

Server::Server(const Router& router, ServerOptions options)
    : impl_(std::make_unique<Impl>(router, std::move(options))) {}

Server::~Server() { Stop(); }

Status Server::Start() {
  if (sodium_init() < 0) return Error("http.listen_failed", "libsodium failed to initialise");
  beast::error_code ec;
  auto address = net::ip::make_address(impl_->options.address, ec);
  if (ec) return Error("http.listen_failed", "bad address " + impl_->options.address);
  tcp::endpoint endpoint(address, impl_->options.port);
  Acceptor& acceptor = *impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Error("http.listen_failed", ec.message());
  impl_->port = acceptor.local_endpoint().port();
  impl_->Accept();
  if (impl_->options.blocking_threads > 0) impl_->blocking.emplace(impl_->options.blocking_threads);
  for (auto& loop : impl_->loops) {
    loop->keep_running.emplace(loop->context.get_executor());
    impl_->Sweep(*loop);
    loop->thread = std::thread([&context = loop->context] {
      NameThisThread("http-loop");
      context.run();
    });
  }
  impl_->started = true;
  return {};
}

uint16_t Server::port() const { return impl_->port; }

void Server::Stop() {
  if (!impl_->started || impl_->stopping.exchange(true)) {
    // Wake any Wait() even when Start() never ran.
    std::lock_guard lock(impl_->mutex);
    impl_->stopped = true;
    impl_->changed.notify_all();
    return;
  }
  net::post(impl_->acceptor->get_executor(), [this] {
    beast::error_code ignored;
    impl_->acceptor->close(ignored);
  });
  // Graceful: idle keep-alive connections close now; busy ones finish their
  // response first (keep-alive is refused once stopping), bounded by 5 s.
  // Each loop closes its own: its registry is its thread's alone.
  for (auto& loop : impl_->loops) {
    net::post(loop->context, [&loop = *loop] {
      for (const auto& weak : loop.sessions) {
        if (auto session = weak.lock()) session->CloseIfIdle();
      }
    });
  }
  {
    std::unique_lock lock(impl_->mutex);
    impl_->changed.wait_for(lock, std::chrono::seconds(5), [&] { return impl_->live_sessions == 0; });
  }
  for (auto& loop : impl_->loops) {
    loop->keep_running.reset();
    loop->context.stop();
  }
  for (auto& loop : impl_->loops) {
    if (loop->thread.joinable()) loop->thread.join();
  }
  // Blocking handlers still running finish; what they answer is queued on
  // the stopped loop and dropped with it.
  if (impl_->blocking) impl_->blocking->join();
  // Replies from here on are dropped, and sessions still waiting for one
  // (work that outlasted the grace period) go now, while the server they
  // report to exists. Dropped outside the gate's lock: ~Session takes ours.
  std::map<uint64_t, std::shared_ptr<Session>> abandoned;
  {
    std::lock_guard lock(impl_->replies->mutex);
    impl_->replies->open = false;
    abandoned.swap(impl_->replies->waiting);
  }
  abandoned.clear();
  std::lock_guard lock(impl_->mutex);
  impl_->stopped = true;
  impl_->changed.notify_all();
}

void Server::Wait() {
  std::unique_lock lock(impl_->mutex);
  impl_->changed.wait(lock, [&] { return impl_->stopped; });
}

}  // namespace lahza::http
