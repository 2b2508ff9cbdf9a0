// Test helper shared by every suite that runs against both storage backends
// (store, ledger, app, ...). Link the `lahza_store_testing` library.
//
//   class LedgerSchemaTest : public lahza::store::FreshStoreTest {};  // store_: empty, per test
//   TEST_P(LedgerSchemaTest, ...) { ... }
//   INSTANTIATE_TEST_SUITE_P(Backends, LedgerSchemaTest, ::testing::ValuesIn(lahza::store::TestBackends()),
//                            lahza::store::BackendTestName);
//
// A fixture that needs more in SetUp calls LAHZA_SKIP_UNLESS_BACKEND(GetParam())
// and FreshStore(GetParam()) itself, as FreshStoreTest does.
//
// PostgreSQL runs at LAHZA_TEST_PG_URL (./test always sets it); without it the
// PostgreSQL cases skip with a message instead of silently passing.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "store/store.h"

namespace lahza::store {

// {"sqlite", "postgres"}: always both, so test names do not depend on the
// environment; use BackendAvailable/LAHZA_SKIP_UNLESS_BACKEND to skip.
std::vector<std::string> TestBackends();

// Whether `backend` can run here ("postgres" needs LAHZA_TEST_PG_URL).
bool BackendAvailable(const std::string& backend);

// Why `backend` is unavailable (for GTEST_SKIP), empty when it is available.
std::string BackendSkipReason(const std::string& backend);

// The URL of a new, EMPTY, isolated database for `backend`, usable by other
// processes too (e.g. `lahza serve --db URL`): SQLite: a file in a new temp
// folder; PostgreSQL: a new schema selected through search_path in the URL's
// options. Removed when the test process exits. Empty when unavailable.
std::string FreshUrl(const std::string& backend);

// Open(FreshUrl(backend)); the database is removed when the store is
// destroyed. nullptr (with a test failure recorded) if it cannot be opened, and
// nullptr (no failure) when the backend is unavailable.
std::unique_ptr<Store> FreshStore(const std::string& backend);
// The backend's own store inside one FreshStore made (for what only it
// answers, such as internal::PauseWalSyncForTest); any other store itself.
Store& Unwrapped(Store& store);

// Name generator for INSTANTIATE_TEST_SUITE_P: "sqlite" / "postgres".
std::string BackendTestName(const ::testing::TestParamInfo<std::string>& info);

// "code detail", for a failed assertion's message.
inline std::string Describe(const Error& error) { return error.code + " " + error.detail; }

}  // namespace lahza::store

#define LAHZA_SKIP_UNLESS_BACKEND(backend)                                    \
  do {                                                                        \
    if (!::lahza::store::BackendAvailable(backend)) {                         \
      GTEST_SKIP() << ::lahza::store::BackendSkipReason(backend);             \
    }                                                                         \
  } while (0)

namespace lahza::store {

// A suite whose every test starts from an empty database of the backend its
// parameter names (skipped where that backend is unavailable). Derive a named
// fixture from it: `class IpnSchemaTest : public store::FreshStoreTest {};`.
class FreshStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    LAHZA_SKIP_UNLESS_BACKEND(GetParam());
    store_ = FreshStore(GetParam());
    ASSERT_NE(store_, nullptr);
  }
  std::unique_ptr<Store> store_;
};

}  // namespace lahza::store
