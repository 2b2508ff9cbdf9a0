// `lahza serve` as a process among others. One whose stdout reader has gone
// away (a closed pipe: a log shipper restarted, a test that stopped reading
// once it had the port) must still stop cleanly on SIGTERM: its "stopping"
// log line is written to the closed pipe, and without SIGPIPE ignored that
// write killed the server. And a second one on the same SQLite file is
// refused while the first serves it.
#include <gtest/gtest.h>

#include <fcntl.h>

#include "cluster.h"

namespace lahza::reliability {
namespace {

TEST(ServeSignals, SigtermWithStdoutClosedExitsCleanly) {
  char pattern[] = "/tmp/lahza-sigpipe-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  const std::filesystem::path dir = pattern;

  int out[2];
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  pid_t pid = SpawnWithOutput(ServeArgs("sqlite:" + (dir / "sigpipe.db").string(), 0), out[1]);
  close(out[1]);
  ASSERT_GT(pid, 0);

  std::string seen;
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (ServingPort(seen) == 0 && std::chrono::steady_clock::now() < deadline) {
    char buffer[512];
    ssize_t n = read(out[0], buffer, sizeof buffer);
    if (n > 0) seen.append(buffer, static_cast<size_t>(n));
    if (n == 0) break;  // exited
    if (n < 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  close(out[0]);  // nobody reads the server's output from here on
  const uint16_t port = ServingPort(seen);
  if (port == 0) kill(pid, SIGKILL);
  ASSERT_NE(port, 0u) << "lahza serve did not start: " << seen;

  // A request first, so the server is past start-up and writing its log.
  Client client(port);
  EXPECT_EQ(client.Call("GET", "/healthz").status, 200);

  kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << (WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                              : "exit status " + std::to_string(WEXITSTATUS(status)));
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

// One process serves a SQLite database: a second `lahza serve` on the same
// file is refused within seconds, saying why, and the first goes on serving.
// Once the first has stopped, the file opens again.
TEST(ServeSignals, ASecondServerOnTheSameSqliteFileIsRefused) {
  char pattern[] = "/tmp/lahza-twice-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  const std::filesystem::path dir = pattern;
  const std::string db = "sqlite:" + (dir / "twice.db").string();
  ServeProcess first;
  ASSERT_TRUE(first.Start(db));

  ServeProcess second;
  const auto started = std::chrono::steady_clock::now();
  EXPECT_FALSE(second.Start(db)) << "a second server started on the same file";
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20))
      << "the second server did not give up";
  const int status = second.exit_status();
  EXPECT_TRUE(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) != 0) << "wait status " << status;
  EXPECT_NE(second.Log().find("in use by another process"), std::string::npos) << second.Log();

  Client client(first.port());
  EXPECT_EQ(client.Call("GET", "/healthz").status, 200);
  ASSERT_TRUE(first.Stop());
  ServeProcess again;
  EXPECT_TRUE(again.Start(db)) << "the file must open once its server has stopped";
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

}  // namespace
}  // namespace lahza::reliability
