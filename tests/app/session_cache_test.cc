// The session cache must never bring back a session revoked while a request
// was reading it. The store is wrapped so that one request's session read is
// held (after it read the row, before the app caches it) while the same token
// logs out; once released, the token must still be refused. The clock is
// frozen, so an entry wrongly cached would be served for good.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "app_server.h"

namespace lahza::testing {
namespace {

// Forwards to a real store; when armed, the next statement reading
// app_sessions returns only after Release().
class PausingStore final : public store::Store {
 public:
  explicit PausingStore(std::unique_ptr<store::Store> inner) : inner_(std::move(inner)) {}
  store::Backend backend() const override { return inner_->backend(); }
  void WhenDurable(std::function<void()> then) override { inner_->WhenDurable(std::move(then)); }
  Result<std::unique_ptr<store::Transaction>> Begin(store::Mode mode) override {
    auto tx = inner_->Begin(mode);
    if (!tx) return tx.error();
    return std::unique_ptr<store::Transaction>(std::make_unique<Tx>(std::move(*tx), *this));
  }

  void Arm() { armed_ = true; }
  void WaitUntilPaused() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return paused_; });
  }
  void Release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }

 private:
  class Tx final : public store::Transaction {
   public:
    Tx(std::unique_ptr<store::Transaction> inner, PausingStore& owner) : inner_(std::move(inner)), owner_(owner) {}
    Result<store::Rows> Execute(std::string_view sql, std::span<const store::Value> params) override {
      auto rows = inner_->Execute(sql, params);
      if (sql.find("FROM app_sessions s") != std::string_view::npos && owner_.armed_.exchange(false)) {
        std::unique_lock lock(owner_.mutex_);
        owner_.paused_ = true;
        owner_.changed_.notify_all();
        owner_.changed_.wait(lock, [&] { return owner_.released_; });
      }
      return rows;
    }
    Result<int64_t> InsertMany(std::string_view table, std::span<const std::string> columns,
                               std::span<const store::Row> rows, std::string_view suffix) override {
      return inner_->InsertMany(table, columns, rows, suffix);
    }
    Result<int64_t> UpdateMany(std::string_view table, std::string_view key_column,
                               std::span<const std::string> columns, std::span<const store::Row> rows) override {
      return inner_->UpdateMany(table, key_column, columns, rows);
    }
    int64_t RowsChanged() const override { return inner_->RowsChanged(); }
    Status Commit() override { return inner_->Commit(); }

   private:
    std::unique_ptr<store::Transaction> inner_;
    PausingStore& owner_;
  };

  std::unique_ptr<store::Store> inner_;
  std::atomic<bool> armed_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
  bool paused_ = false;
  bool released_ = false;
};

class SessionCacheTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SessionCacheTest, LogoutDuringASessionReadIsNotUndoneByTheCache) {
  auto fresh = store::FreshStore(GetParam());
  if (!fresh) GTEST_SKIP() << GetParam() << " not available";
  PausingStore db(std::move(fresh));
  ManualClock clock(std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()));
  auto ledger = ledger::Ledger::Open(db);
  ASSERT_TRUE(ledger.ok());
  auto network = ipn::Switch::Open(db, **ledger);
  ASSERT_TRUE(network.ok());
  app::AppOptions options;
  options.admin_token = kAdminToken;
  options.pin_hashing = app::PinHashing::kMinimum;
  options.clock = &clock;
  auto app = app::App::Open(db, **network, options);
  ASSERT_TRUE(app.ok());
  http::Router router;
  (*app)->AddRoutes(router);
  http::ServerOptions server_options;
  server_options.access_log = false;
  http::Server server(router, server_options);
  ASSERT_TRUE(server.Start().ok());

  Api api(server.port());
  const std::string token = api.Onboard("01012345678", TestNationalId(1), "NBE", "1001", "Mona");
  ASSERT_FALSE(token.empty());

  // A request reads the (still valid) session and is held there...
  db.Arm();
  std::atomic<int> held_status{0};
  std::thread held([&] {
    Api other(server.port());
    held_status = other.Call("GET", "/api/v1/me", nullptr, token).status;
  });
  db.WaitUntilPaused();
  // ...while the customer logs out.
  EXPECT_EQ(api.Call("POST", "/api/v1/logout", nullptr, token).status, 200);
  db.Release();
  held.join();
  EXPECT_EQ(held_status.load(), 200);  // it read the session before the logout

  EXPECT_EQ(api.Call("GET", "/api/v1/me", nullptr, token).status, 401) << "a revoked session came back";
  server.Stop();
}

INSTANTIATE_TEST_SUITE_P(Backends, SessionCacheTest, ::testing::ValuesIn(store::TestBackends()),
                         store::BackendTestName);

}  // namespace
}  // namespace lahza::testing
