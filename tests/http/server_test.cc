// The HTTP server and router from the outside: a real server on a free
// loopback port, a raw socket client.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>
#include <vector>
#include <thread>

#include "core/messages.h"
#include "http/router.h"
#include "http/server.h"
#include "http/test_client.h"

namespace lahza::http {
namespace {

using lahza::testing::HttpClient;
using nlohmann::json;

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    web_ = std::filesystem::temp_directory_path() / ("lahza-web-" + std::to_string(::getpid()));
    std::filesystem::create_directories(web_ / "css");
    std::ofstream(web_ / "index.html") << "<html>shell</html>";
    std::ofstream(web_ / "css" / "app.css") << "body{}";
    std::ofstream(web_.parent_path() / ("secret-" + std::to_string(::getpid()))) << "secret";
    AddHealthRoute(router_);
    router_.Add("GET", "/api/v1/items/:id", [](Request& request) {
      return Json({{"id", request.Param("id")}, {"q", request.Query("q").value_or("")}});
    });
    router_.Add("POST", "/api/v1/echo", [](Request& request) -> Response {
      auto body = ParseJsonObject(request);
      if (!body) return ErrorResponse(body.error());
      if (auto fields = CheckFields(*body, {"name", "amount"}); !fields) return ErrorResponse(fields.error());
      auto amount = IntField(*body, "amount");
      if (!amount) return ErrorResponse(amount.error());
      return Json({{"amount", *amount}});
    });
    router_.Add("GET", "/api/v1/boom", [](Request&) -> Response { throw std::runtime_error("boom"); });
    router_.Add("GET", "/api/v1/slow", [this](Request&) {
      // Handshake with GracefulStopFinishesInFlightRequest: say the request is
      // in flight, and keep it in flight until the stopper is about to Stop().
      std::unique_lock lock(slow_mutex_);
      slow_entered_ = true;
      slow_cv_.notify_all();
      slow_cv_.wait_for(lock, std::chrono::seconds(10), [this] { return slow_stopping_; });
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      return Json({{"slow", true}});
    });
    AddStaticRoutes(router_, web_.string());
    ServerOptions options;
    options.read_timeout_ms = 400;
    options.access_log = false;
    server_ = std::make_unique<Server>(router_, options);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(web_);
    std::filesystem::remove(web_.parent_path() / ("secret-" + std::to_string(::getpid())));
  }

  std::filesystem::path web_;
  Router router_;
  std::unique_ptr<Server> server_;
  std::mutex slow_mutex_;
  std::condition_variable slow_cv_;
  bool slow_entered_ = false;   // the /slow handler is running
  bool slow_stopping_ = false;  // the stopper is about to call Stop()
};

json ErrorOf(const lahza::testing::HttpResponse& response) { return json::parse(response.body).at("error"); }

// The test helper every onboarding (tests, bank test, bench) reads OTPs with.
TEST(OtpIn, FindsTheFirstRunOfExactlySixDigits) {
  EXPECT_EQ(testing::OtpIn("Your Lahza code is 482913. It expires in 5 minutes."), "482913");
  EXPECT_EQ(testing::OtpIn("رمز لحظة: 482913"), "482913");
  EXPECT_EQ(testing::OtpIn("for 01012345678: 007700"), "007700");  // longer runs are not codes
  EXPECT_EQ(testing::OtpIn("1234567 12345 123456"), "123456");
  EXPECT_EQ(testing::OtpIn("123456"), "123456");
  EXPECT_EQ(testing::OtpIn("12345 1234567"), "");
  EXPECT_EQ(testing::OtpIn(""), "");
}

TEST_F(ServerTest, HealthzAnswersOk) {
  HttpClient client(server_->port());
  auto response = client.Request("GET", "/healthz");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(json::parse(response.body)["status"], "ok");
  EXPECT_FALSE(response.headers["x-request-id"].empty());
}

TEST_F(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  HttpClient client(server_->port());
  for (int i = 0; i < 50; ++i) {
    auto response = client.Request("GET", "/api/v1/items/" + std::to_string(i) + "?q=a%20b");
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(json::parse(response.body)["id"], std::to_string(i));
    EXPECT_EQ(json::parse(response.body)["q"], "a b");
    ASSERT_TRUE(client.connected());
  }
}

TEST_F(ServerTest, RequestIdFromClientIsEchoedWhenSane) {
  HttpClient client(server_->port());
  EXPECT_EQ(client.Request("GET", "/healthz", "", {{"X-Request-Id", "abc-123"}}).headers["x-request-id"], "abc-123");
  EXPECT_NE(client.Request("GET", "/healthz", "", {{"X-Request-Id", "bad id!"}}).headers["x-request-id"], "bad id!");
}

TEST_F(ServerTest, UnknownRouteAndWrongMethodAreJsonErrors) {
  HttpClient client(server_->port());
  auto missing = client.Request("GET", "/api/v1/nothing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(ErrorOf(missing)["code"], "http.not_found");
  EXPECT_FALSE(ErrorOf(missing)["message_ar"].get<std::string>().empty());
  auto wrong = client.Request("DELETE", "/api/v1/echo");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(ErrorOf(wrong)["code"], "http.method_not_allowed");
}

TEST_F(ServerTest, JsonBodyErrorsHaveStableCodes) {
  HttpClient client(server_->port());
  EXPECT_EQ(ErrorOf(client.Request("POST", "/api/v1/echo", "{not json"))["code"], "http.body_not_json");
  EXPECT_EQ(ErrorOf(client.Request("POST", "/api/v1/echo", "[1,2]"))["code"], "http.body_not_object");
  auto unknown = client.Request("POST", "/api/v1/echo", R"({"amount":1,"evil":2})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(ErrorOf(unknown)["code"], "http.unknown_field");
  EXPECT_NE(ErrorOf(unknown)["message_en"].get<std::string>().find("evil"), std::string::npos);
  EXPECT_EQ(ErrorOf(client.Request("POST", "/api/v1/echo", R"({"amount":"5"})"))["code"], "http.wrong_type");
  EXPECT_EQ(ErrorOf(client.Request("POST", "/api/v1/echo", R"({"amount":1.5})"))["code"], "http.number_out_of_range");
  EXPECT_EQ(ErrorOf(client.Request("POST", "/api/v1/echo", R"({"amount":99999999999999999999})"))["code"],
            "http.number_out_of_range");
  EXPECT_EQ(ErrorOf(client.Request("POST", "/api/v1/echo", R"({})"))["code"], "http.missing_field");
  auto ok = client.Request("POST", "/api/v1/echo", R"({"amount":9223372036854775807})");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(json::parse(ok.body)["amount"], INT64_MAX);
}

TEST_F(ServerTest, OversizedBodyGets413AndTheServerLives) {
  HttpClient client(server_->port());
  std::string big = "{\"name\":\"" + std::string(70 * 1024, 'x') + "\"}";
  auto response = client.Request("POST", "/api/v1/echo", big);
  EXPECT_EQ(response.status, 413);
  EXPECT_EQ(ErrorOf(response)["code"], "http.body_too_large");
  HttpClient again(server_->port());
  EXPECT_EQ(again.Request("GET", "/healthz").status, 200);
}

TEST_F(ServerTest, HandlerExceptionBecomesInternalError) {
  HttpClient client(server_->port());
  auto response = client.Request("GET", "/api/v1/boom");
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(ErrorOf(response)["code"], "internal");
  EXPECT_EQ(response.body.find("boom"), std::string::npos) << "internal details must not leak";
}

TEST_F(ServerTest, SlowClientIsCutOffAndOthersAreServed) {
  HttpClient slow(server_->port());
  slow.Connect();
  slow.SendRaw("GET /healthz HTTP/1.1\r\nHost: x\r\n");  // never finishes its headers
  HttpClient other(server_->port());
  EXPECT_EQ(other.Request("GET", "/healthz").status, 200);
  EXPECT_TRUE(slow.WaitClosed(2000)) << "slowloris connection must be closed after the read timeout";
}

// The read timeout is also the keep-alive idle limit: a connection that
// asks nothing more after its answer is closed once it has idled that long
// (400 ms here), not at once and not never.
TEST_F(ServerTest, AnIdleKeepAliveConnectionIsClosedAfterTheTimeout) {
  HttpClient client(server_->port());
  ASSERT_EQ(client.Request("GET", "/healthz").status, 200);
  const auto answered = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.WaitClosed(3000)) << "an idle keep-alive connection must be closed after the timeout";
  const auto idled = std::chrono::steady_clock::now() - answered;
  // Not at once: the deadline runs from the server's end of the write,
  // which a loaded machine may show the client well after.
  EXPECT_GE(idled, std::chrono::milliseconds(200));
  EXPECT_LE(idled, std::chrono::milliseconds(2000));
}

// A client that sends a request and then stops reading its answer holds the
// server's write; the write has the same deadline as a read, and the
// connection is cut off before the whole answer went out.
TEST_F(ServerTest, AClientThatStopsReadingItsAnswerIsCutOff) {
  const size_t size = 48u << 20;  // more than loopback's socket buffers hold
  std::ofstream(web_ / "big.bin", std::ios::binary) << std::string(size, 'x');
  HttpClient client(server_->port());
  client.Connect();
  client.SendRaw("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
  // The answer has started (reading the file can take a while under a
  // sanitizer); from here the client reads nothing until the write's
  // deadline (400 ms, checked every 100) has long passed.
  ASSERT_TRUE(client.ReadAtLeast(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const std::optional<size_t> received = client.ReadUntilClosed(5000);
  ASSERT_TRUE(received.has_value()) << "the server must have closed the connection";
  EXPECT_LT(*received, size) << "the whole answer went out to a client that did not read it";
  HttpClient other(server_->port());
  EXPECT_EQ(other.Request("GET", "/healthz").status, 200);
}

TEST_F(ServerTest, MalformedRequestLineGets400) {
  HttpClient client(server_->port());
  client.Connect();
  client.SendRaw("NOT A REQUEST\r\n\r\n");
  auto response = client.ReadResponse();
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(ErrorOf(response)["code"], "http.bad_request");
}

TEST_F(ServerTest, StaticFilesWithTypesIndexAndNoTraversal) {
  HttpClient client(server_->port());
  auto index = client.Request("GET", "/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, "<html>shell</html>");
  EXPECT_EQ(index.headers["content-type"], "text/html; charset=utf-8");
  auto css = client.Request("GET", "/css/app.css");
  EXPECT_EQ(css.headers["content-type"], "text/css; charset=utf-8");
  EXPECT_EQ(client.Request("GET", "/history").body, "<html>shell</html>") << "client-side route gets the shell";
  EXPECT_EQ(client.Request("GET", "/missing.js").status, 404);
  std::string secret = "secret-" + std::to_string(::getpid());
  EXPECT_EQ(client.Request("GET", "/../" + secret).status, 404);
  EXPECT_EQ(client.Request("GET", "/%2e%2e/" + secret).status, 404);
  EXPECT_EQ(client.Request("GET", "/css/..%2f..%2f" + secret).status, 404);
  EXPECT_EQ(client.Request("GET", "/api/v1/unknown").status, 404) << "API paths never get the shell";
}

TEST_F(ServerTest, HeadHasNoBody) {
  HttpClient client(server_->port());
  auto response = client.Request("HEAD", "/healthz");
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(response.body.empty());
  EXPECT_EQ(client.Request("GET", "/healthz").status, 200) << "connection still in sync after HEAD";
}

TEST_F(ServerTest, GracefulStopFinishesInFlightRequest) {
  HttpClient client(server_->port());
  bool entered = false;
  std::thread stopper([&] {
    // Stop only once the request is inside the handler: earlier, the client
    // would see a refused connection instead of a finished request.
    {
      std::unique_lock lock(slow_mutex_);
      entered = slow_cv_.wait_for(lock, std::chrono::seconds(10), [this] { return slow_entered_; });
      slow_stopping_ = true;
      slow_cv_.notify_all();
    }
    server_->Stop();
  });
  auto response = client.Request("GET", "/api/v1/slow");
  stopper.join();
  ASSERT_TRUE(entered) << "the /slow handler never ran";
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.headers["connection"], "close");
}

// Routes on the event loop (AddNonBlocking) and on the blocking pool (Add),
// with one event-loop thread, so that anything a handler holds shows.
class LoopAndPoolTest : public ::testing::Test {
 protected:
  void Start() {
    ServerOptions options;
    options.threads = 1;
    options.blocking_threads = 2;
    options.access_log = false;
    options.after_durable = after_durable_;
    server_ = std::make_unique<Server>(router_, options);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override { server_.reset(); }

  Router router_;
  std::function<void(std::function<void()>)> after_durable_;
  std::unique_ptr<Server> server_;
};

// Answers wait for ServerOptions::after_durable (the store's word that what
// a handler read is durable), but those that say only what is durable
// already; held ones go out when told, from the teller's thread, and one
// told after the server stopped is dropped.
TEST_F(LoopAndPoolTest, AnAnswerWaitsUntilWhatItReadIsDurable) {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::function<void()>> held;
  after_durable_ = [&](std::function<void()> then) {
    std::lock_guard lock(mutex);
    held.push_back(std::move(then));
    changed.notify_all();
  };
  router_.AddNonBlocking("GET", "/read", [](Request&) { return Json({{"read", true}}); });
  router_.AddNonBlocking("GET", "/durable", [](Request&) {
    Response response = Json({{"durable", true}});
    response.durable = true;
    return response;
  });
  Start();
  HttpClient durable(server_->port());
  EXPECT_EQ(durable.Request("GET", "/durable").status, 200) << "not held";
  std::atomic<bool> answered{false};
  std::thread reader([&] {
    HttpClient client(server_->port());
    auto response = client.Request("GET", "/read");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(json::parse(response.body)["read"], true);
    answered = true;
  });
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(10), [&] { return held.size() == 1; }));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(answered.load()) << "sent before the store said durable";
  std::thread teller([&] {
    std::lock_guard lock(mutex);
    for (auto& then : held) then();
    held.clear();
  });
  teller.join();
  reader.join();
  EXPECT_TRUE(answered.load());

  // Held when the server stops: dropped, no crash.
  std::thread late([&] {
    HttpClient client(server_->port());
    try {
      client.Request("GET", "/read");
    } catch (const std::exception&) {
      // The connection closes at Stop.
    }
  });
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(10), [&] { return held.size() == 1; }));
  }
  server_->Stop();
  server_.reset();
  for (auto& then : held) then();
  late.join();
}

// A deferred response is answered from another thread, on a connection that
// then serves its next request as usual.
TEST_F(LoopAndPoolTest, LaterIsAnsweredWhenItsWorkReplies) {
  std::vector<std::thread> workers;
  router_.AddNonBlocking("GET", "/later", [&](Request&) {
    return Response::Later([&](Reply reply) {
      workers.emplace_back([reply] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        reply([] { return Json({{"later", true}}); });
      });
    });
  });
  router_.AddNonBlocking("GET", "/throws", [](Request&) {
    return Response::Later([](Reply) { throw std::runtime_error("before replying"); });
  });
  router_.AddNonBlocking("GET", "/rest-blocks", [](Request&) {
    return Response::Blocking([] { return Json({{"blocking", true}}, 201); });
  });
  Start();
  HttpClient client(server_->port());
  auto first = client.Request("GET", "/later");
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(json::parse(first.body)["later"], true);
  auto second = client.Request("GET", "/later");
  EXPECT_EQ(second.status, 200);
  auto thrown = client.Request("GET", "/throws");
  EXPECT_EQ(thrown.status, 500);
  EXPECT_EQ(ErrorOf(thrown)["code"], "internal");
  auto rest = client.Request("GET", "/rest-blocks");
  EXPECT_EQ(rest.status, 201);
  for (std::thread& worker : workers) worker.join();
}

// A blocking handler holds a pool thread, never the event loop: with one
// loop thread, a non-blocking route still answers meanwhile. (Before the
// pool, every handler ran on the loop's threads.)
TEST_F(LoopAndPoolTest, ABlockingHandlerDoesNotHoldTheEventLoop) {
  std::mutex mutex;
  std::condition_variable changed;
  bool entered = false, released = false;
  router_.Add("GET", "/block", [&](Request&) {
    std::unique_lock lock(mutex);
    entered = true;
    changed.notify_all();
    changed.wait_for(lock, std::chrono::seconds(10), [&] { return released; });
    return Json({{"released", released}});
  });
  router_.AddNonBlocking("GET", "/quick", [](Request&) { return Json({{"quick", true}}); });
  Start();
  HttpClient blocked(server_->port());
  std::thread waiting([&] {
    auto response = blocked.Request("GET", "/block");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(json::parse(response.body)["released"], true);
  });
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(10), [&] { return entered; }));
  }
  HttpClient quick(server_->port());
  auto started = std::chrono::steady_clock::now();
  auto response = quick.Request("GET", "/quick");
  EXPECT_EQ(response.status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  {
    std::lock_guard lock(mutex);
    EXPECT_FALSE(released) << "/quick had to wait for /block";
    released = true;
  }
  changed.notify_all();
  waiting.join();
}

// A reply that comes after the server stopped (work that outlasted Stop's
// grace period) is dropped: no crash, no write on a closed loop.
TEST_F(LoopAndPoolTest, AReplyAfterStopIsDropped) {
  std::mutex mutex;
  std::condition_variable changed;
  std::optional<Reply> kept;
  router_.AddNonBlocking("GET", "/never", [&](Request&) {
    return Response::Later([&](Reply reply) {
      std::lock_guard lock(mutex);
      kept = std::move(reply);
      changed.notify_all();
    });
  });
  Start();
  std::thread client_thread([&] {
    HttpClient client(server_->port());
    try {
      client.Request("GET", "/never");  // answered by nothing: the connection closes at Stop
    } catch (const std::exception&) {
      // The client's retry on the closed connection finds the server gone.
    }
  });
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(10), [&] { return kept.has_value(); }));
  }
  server_->Stop();  // waits up to 5 s for the busy connection, then gives up on it
  (*kept)([] { return Json({{"too", "late"}}); });
  server_.reset();
  (*kept)([] { return Json({{"far", "too late"}}); });
  client_thread.join();
}

// With several event loops each connection lives on one of them, dealt in
// turn; each loop answers its own connections, and Stop closes the idle
// connections of every loop at once rather than waiting out its grace period.
TEST(SeveralLoopsTest, EachLoopServesItsConnectionsAndStopClosesThemAll) {
  Router router;
  std::mutex mutex;
  std::set<std::thread::id> answered_on;
  router.AddNonBlocking("GET", "/where", [&](Request&) {
    std::lock_guard lock(mutex);
    answered_on.insert(std::this_thread::get_id());
    return Json({{"ok", true}});
  });
  ServerOptions options;
  options.threads = 3;
  options.access_log = false;
  Server server(router, options);
  ASSERT_TRUE(server.Start().ok());
  std::atomic<int> good{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 9; ++c) {
    clients.emplace_back([&] {
      HttpClient client(server.port());
      for (int i = 0; i < 30; ++i) {
        if (client.Request("GET", "/where").status == 200) ++good;
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(good, 9 * 30);
  EXPECT_EQ(answered_on.size(), 3u) << "nine connections dealt in turn must reach all three loops";

  std::vector<std::unique_ptr<HttpClient>> idle;
  for (int c = 0; c < 6; ++c) {
    idle.push_back(std::make_unique<HttpClient>(server.port()));
    ASSERT_EQ(idle.back()->Request("GET", "/where").status, 200);
  }
  const auto stopping = std::chrono::steady_clock::now();
  server.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, std::chrono::seconds(3))
      << "Stop waited for idle connections instead of closing them";
  for (auto& client : idle) EXPECT_TRUE(client->WaitClosed(1000));
}

TEST(MessagesTest, EveryHttpCodeHasBothLanguages) {
  for (const char* code : {"http.not_found", "http.method_not_allowed", "http.body_too_large",
                           "http.headers_too_large", "http.bad_request", "http.body_not_json",
                           "http.body_not_object", "http.unknown_field", "http.missing_field", "http.wrong_type",
                           "http.number_out_of_range", "http.bad_query", "http.listen_failed", "internal"}) {
    auto message = FindMessage(code);
    ASSERT_TRUE(message.has_value()) << code;
    EXPECT_FALSE(message->ar.empty()) << code;
    EXPECT_FALSE(message->en.empty()) << code;
  }
}

}  // namespace
}  // namespace lahza::http
