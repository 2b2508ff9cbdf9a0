#include "store/test_stores.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <random>

namespace lahza::store {
namespace {

const char* PostgresUrl() {
  const char* url = std::getenv("LAHZA_TEST_PG_URL");
  return (url && *url) ? url : nullptr;
}

// A name nobody else has: pid + counter + randomness (parallel ctest runs
// several test binaries against one cluster).
std::string UniqueName(const char* prefix) {
  static std::atomic<int> counter{0};
  static const uint32_t salt = std::random_device{}();
  return std::string(prefix) + std::to_string(getpid()) + "_" + std::to_string(salt % 100000) + "_" +
         std::to_string(counter++);
}

std::string PercentEncode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '_' || c == '-' || c == '.') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

void DropPostgresSchema(const std::string& schema) {
  const char* url = PostgresUrl();
  if (!url) return;
  auto admin = Open(url);
  if (!admin.ok()) return;
  (void)(*admin)->Execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
}

void Remove(const std::string& backend, const std::string& handle) {
  if (backend == "sqlite") {
    std::error_code ignored;
    std::filesystem::remove_all(handle, ignored);
  } else {
    DropPostgresSchema(handle);
  }
}

// What FreshUrl created and nobody removed yet; cleaned when the process ends.
class Leftovers {
 public:
  static Leftovers& Get() {
    static Leftovers leftovers;
    return leftovers;
  }
  void Add(const std::string& backend, const std::string& handle) {
    std::lock_guard lock(mutex_);
    items_.emplace_back(backend, handle);
  }
  void Forget(const std::string& handle) {
    std::lock_guard lock(mutex_);
    std::erase_if(items_, [&](const auto& item) { return item.second == handle; });
  }
  // Called from a gtest environment's TearDown, i.e. before static destructors
  // run: libpqxx's own statics are gone by then (ASan saw a use-after-free).
  void RemoveAll() {
    // A forked child that exits normally must not delete its parent's databases.
    if (getpid() != owner_) return;
    std::lock_guard lock(mutex_);
    for (const auto& [backend, handle] : items_) Remove(backend, handle);
    items_.clear();
  }

 private:
  const pid_t owner_ = getpid();
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> items_;
};

class LeftoversCleanup final : public ::testing::Environment {
 public:
  void TearDown() override { Leftovers::Get().RemoveAll(); }
};
[[maybe_unused]] ::testing::Environment* const kLeftoversCleanup =
    ::testing::AddGlobalTestEnvironment(new LeftoversCleanup);

// Returns {url, handle}: handle is the temp folder or the schema name.
std::pair<std::string, std::string> Create(const std::string& backend) {
  if (backend == "sqlite") {
    std::filesystem::path dir = std::filesystem::temp_directory_path() / UniqueName("lahza-test-");
    std::filesystem::create_directories(dir);
    return {"sqlite:" + (dir / "lahza.db").string(), dir.string()};
  }
  const char* url = PostgresUrl();
  if (!url) return {};
  std::string schema = UniqueName("lahza_t_");
  auto admin = Open(url);
  if (!admin.ok()) {
    ADD_FAILURE() << "cannot open LAHZA_TEST_PG_URL " << url << ": " << admin.error().detail;
    return {};
  }
  auto created = (*admin)->Execute("CREATE SCHEMA " + schema);
  if (!created.ok()) {
    ADD_FAILURE() << "CREATE SCHEMA failed: " << created.error().detail;
    return {};
  }
  std::string base = url;
  std::string options = "options=" + PercentEncode("-c search_path=" + schema);
  return {base + (base.find('?') == std::string::npos ? "?" : "&") + options, schema};
}

// Owns the inner store and removes its database when destroyed.
class DisposableStore final : public Store {
 public:
  DisposableStore(std::unique_ptr<Store> inner, std::string backend, std::string handle)
      : inner_(std::move(inner)), backend_name_(std::move(backend)), handle_(std::move(handle)) {}
  ~DisposableStore() override {
    inner_.reset();  // close pooled connections before dropping
    if (getpid() == owner_) Remove(backend_name_, handle_);
  }
  Backend backend() const override { return inner_->backend(); }
  Result<std::unique_ptr<Transaction>> Begin(Mode mode) override { return inner_->Begin(mode); }
  void WhenDurable(std::function<void()> then) override { inner_->WhenDurable(std::move(then)); }
  Store& inner() { return *inner_; }

 private:
  std::unique_ptr<Store> inner_;
  std::string backend_name_;
  std::string handle_;
  const pid_t owner_ = getpid();
};

}  // namespace

Store& Unwrapped(Store& store) {
  if (auto* disposable = dynamic_cast<DisposableStore*>(&store)) return disposable->inner();
  return store;
}

std::vector<std::string> TestBackends() { return {"sqlite", "postgres"}; }

bool BackendAvailable(const std::string& backend) {
  if (backend == "sqlite") return true;
  if (backend == "postgres") return PostgresUrl() != nullptr;
  return false;
}

std::string BackendSkipReason(const std::string& backend) {
  if (BackendAvailable(backend)) return {};
  if (backend == "postgres") {
    return "PostgreSQL cases skipped: LAHZA_TEST_PG_URL is not set (./test sets it; or run "
           "scripts/pg-start DIR and export its URL)";
  }
  return "unknown backend " + backend;
}

std::string FreshUrl(const std::string& backend) {
  if (!BackendAvailable(backend)) return {};
  auto [url, handle] = Create(backend);
  if (!handle.empty()) Leftovers::Get().Add(backend, handle);
  return url;
}

std::unique_ptr<Store> FreshStore(const std::string& backend) {
  if (!BackendAvailable(backend)) return nullptr;
  auto [url, handle] = Create(backend);
  if (url.empty()) return nullptr;
  auto opened = Open(url);
  if (!opened.ok()) {
    ADD_FAILURE() << "cannot open " << url << ": " << opened.error().code << " " << opened.error().detail;
    Remove(backend, handle);
    return nullptr;
  }
  return std::make_unique<DisposableStore>(std::move(*opened), backend, handle);
}

std::string BackendTestName(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

}  // namespace lahza::store
