#include "http/server.h"

#include <spdlog/spdlog.h>
#include <sodium.h>

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
#include <set>
#include <thread>

#include "core/thread_name.h"

namespace lahza::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

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
  Session(tcp::socket socket, Server::Impl& server);
  void Start() { net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); }); }
  void CloseIfIdle();
  auto executor() { return stream_.get_executor(); }
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

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Server::Impl& server_;
  std::string remote_ip_;
  bool busy_ = false;  // between a complete request and its written response
};

struct Server::Impl {
  // Declared before the io_context: sessions still queued in it when it is
  // destroyed report their end through these.
  std::mutex mutex;
  std::condition_variable changed;
  std::set<std::weak_ptr<Session>, std::owner_less<std::weak_ptr<Session>>> sessions;
  std::shared_ptr<ReplyGate> replies = std::make_shared<ReplyGate>();
  size_t live_sessions = 0;
  size_t accepted = 0;
  bool stopped = false;

  const Router& router;
  ServerOptions options;
  net::io_context ioc;
  // On a strand: the accept handler re-arms async_accept on whichever io
  // thread ran it, and Stop()'s close must not run on another at that moment
  // (an acceptor is not safe for concurrent use).
  tcp::acceptor acceptor{net::make_strand(ioc)};
  std::vector<std::thread> threads;
  std::optional<net::thread_pool> blocking;  // Router::Add's routes (see ServerOptions)
  // The loop must not run out of work while a session waits for a blocking
  // handler or a deferred reply (it then has no operation pending): the
  // loop's threads would return, and the answer would never be written.
  std::optional<net::executor_work_guard<net::io_context::executor_type>> keep_running;
  std::atomic<bool> stopping{false};
  bool started = false;
  uint16_t port = 0;

  Impl(const Router& r, ServerOptions o) : router(r), options(std::move(o)), ioc(ThreadCount(options)) {}

  static int ThreadCount(const ServerOptions& options) {
    if (options.threads > 0) return options.threads;
    const int cores = static_cast<int>(std::thread::hardware_concurrency());  // 0 when unknown
    return std::max(1, cores - 1);
  }

  void Accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (!stopping) spdlog::warn("http: accept failed: {}", ec.message());
        if (stopping || ec == net::error::operation_aborted) return;
      } else {
        auto session = std::make_shared<Session>(std::move(socket), *this);
        {
          std::lock_guard lock(mutex);
          // The registry only serves graceful stop; drop ended sessions now and then.
          if (++accepted % 1024 == 0) std::erase_if(sessions, [](const auto& weak) { return weak.expired(); });
          sessions.insert(session);
        }
        session->Start();
      }
      Accept();
    });
  }

  void SessionGone() {
    std::lock_guard lock(mutex);
    --live_sessions;
    changed.notify_all();
  }
};

Session::Session(tcp::socket socket, Server::Impl& server) : stream_(std::move(socket)), server_(server) {
  beast::error_code ec;
  auto endpoint = stream_.socket().remote_endpoint(ec);
  if (!ec) remote_ip_ = endpoint.address().to_string();
  std::lock_guard lock(server_.mutex);
  ++server_.live_sessions;
}

Session::~Session() { server_.SessionGone(); }

void Session::Read() {
  if (server_.stopping) return Close();
  parser_.emplace();
  parser_->body_limit(server_.options.max_body_bytes);
  parser_->header_limit(static_cast<uint32_t>(server_.options.max_header_bytes));
  // One deadline for the whole request: a client that trickles bytes
  // (slowloris) or idles on a keep-alive connection is cut off after it.
  stream_.expires_after(std::chrono::milliseconds(server_.options.read_timeout_ms));
  bhttp::async_read(stream_, buffer_, *parser_,
                    [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
}

void Session::OnRead(beast::error_code ec) {
  if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted ||
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
  net::post(stream_.get_executor(), [self = shared_from_this(), response = std::move(response), answering]() mutable {
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
    auto executor = self->stream_.get_executor();
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
  stream_.expires_after(std::chrono::milliseconds(server_.options.read_timeout_ms));
  bhttp::async_write(stream_, *message,
                     [self = shared_from_this(), message, keep_alive](beast::error_code ec, size_t) {
                       self->busy_ = false;
                       if (ec || !keep_alive) return self->Close();
                       self->Read();
                     });
}

void Session::CloseIfIdle() {
  if (!busy_) Close();
}

void Session::Close() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
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
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Error("http.listen_failed", ec.message());
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->Accept();
  if (impl_->options.blocking_threads > 0) impl_->blocking.emplace(impl_->options.blocking_threads);
  impl_->keep_running.emplace(impl_->ioc.get_executor());
  int count = Impl::ThreadCount(impl_->options);
  for (int i = 0; i < count; ++i) {
    impl_->threads.emplace_back([this] {
      NameThisThread("http-loop");
      impl_->ioc.run();
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
  net::post(impl_->acceptor.get_executor(), [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
  });
  // Graceful: idle keep-alive connections close now; busy ones finish their
  // response first (keep-alive is refused once stopping), bounded by 5 s.
  // The strong references are taken under the mutex but posted and dropped
  // outside it: once the io thread has run CloseIfIdle and its read has
  // ended, ours can be the last reference, and ~Session calls SessionGone(),
  // which takes this same (non-recursive) mutex. Dropping it under the lock
  // deadlocked Stop() against itself (seen as a rare hang in server teardown).
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(impl_->mutex);
    for (const auto& weak : impl_->sessions) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  for (const auto& session : live) net::post(session->executor(), [session] { session->CloseIfIdle(); });
  live.clear();
  {
    std::unique_lock lock(impl_->mutex);
    impl_->changed.wait_for(lock, std::chrono::seconds(5), [&] { return impl_->live_sessions == 0; });
  }
  impl_->keep_running.reset();
  impl_->ioc.stop();
  for (std::thread& thread : impl_->threads) thread.join();
  impl_->threads.clear();
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
  impl_->sessions.clear();
  impl_->stopped = true;
  impl_->changed.notify_all();
}

void Server::Wait() {
  std::unique_lock lock(impl_->mutex);
  impl_->changed.wait(lock, [&] { return impl_->stopped; });
}

}  // namespace lahza::http
