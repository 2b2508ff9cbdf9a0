// The switch's schema changes on data an older version left (src/ipn/schema.cc),
// on both backends.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ipn/internal.h"
#include "store/test_stores.h"

namespace lahza::ipn {
namespace {

using store::Value;

class IpnSchemaTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    LAHZA_SKIP_UNLESS_BACKEND(GetParam());
    store_ = store::FreshStore(GetParam());
    ASSERT_NE(store_, nullptr);
  }
  std::unique_ptr<store::Store> store_;
};

// Migration 4: one usage row per scope and period becomes one row per scope,
// with the scope's latest day and latest month; a scope with no day row gets
// an empty day that any real one passes.
TEST_P(IpnSchemaTest, UsageBecomesOneRowPerScopeWithItsLatestDayAndMonth) {
  // The usage table as migrations 1-3 left it (the other tables do not take
  // part in migration 4).
  const std::vector<store::Migration> before = {
      {3, "ipn_usage as of migration 3",
       "CREATE TABLE ipn_usage (scope TEXT NOT NULL, period TEXT NOT NULL, used BIGINT NOT NULL, "
       "PRIMARY KEY (scope, period))"}};
  ASSERT_TRUE(store::Migrate(*store_, "ipn", before).ok());
  for (auto [scope, period, used] : {std::tuple{"user:a", "d:2026-11-29", 100}, {"user:a", "d:2026-11-30", 200},
                                     {"user:a", "m:2026-10", 1'000}, {"user:a", "m:2026-11", 2'000},
                                     {"user:b", "m:2026-11", 50}}) {
    ASSERT_TRUE(store_->Execute("INSERT INTO ipn_usage (scope, period, used) VALUES ($1, $2, $3)",
                                std::vector<Value>{Value(std::string(scope)), Value(std::string(period)),
                                                   Value(int64_t{used})})
                    .ok());
  }
  ASSERT_TRUE(internal::MigrateIpn(*store_).ok());
  auto rows = store_->Execute("SELECT scope, day, day_used, month, month_used FROM ipn_usage_windows ORDER BY scope",
                              {}, store::Mode::kRead);
  ASSERT_TRUE(rows.ok()) << rows.error().detail;
  ASSERT_EQ(rows->rows.size(), 2u);
  EXPECT_EQ(rows->rows[0], (store::Row{Value(std::string("user:a")), Value(std::string("2026-11-30")),
                                       Value(int64_t{200}), Value(std::string("2026-11")), Value(int64_t{2'000})}));
  EXPECT_EQ(rows->rows[1], (store::Row{Value(std::string("user:b")), Value(std::string("")), Value(int64_t{0}),
                                       Value(std::string("2026-11")), Value(int64_t{50})}));
  EXPECT_FALSE(store_->Execute("SELECT COUNT(*) FROM ipn_usage", {}, store::Mode::kRead).ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, IpnSchemaTest, ::testing::ValuesIn(store::TestBackends()),
                         store::BackendTestName);

}  // namespace
}  // namespace lahza::ipn
