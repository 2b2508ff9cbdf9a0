// Random ids and tokens (RandomHex) come from a per-thread pool of CSPRNG
// bytes: each byte is handed out once, across refills and requests larger
// than the pool, and the hex digits come out evenly.
#include <gtest/gtest.h>
#include <sodium.h>

#include <array>
#include <set>
#include <string>

#include "app/internal.h"

namespace lahza::app {
namespace {

TEST(RandomHex, NeverRepeatsAndSpreadsItsDigitsEvenly) {
  ASSERT_GE(sodium_init(), 0);
  std::set<std::string> seen;
  std::array<int64_t, 16> digits{};
  int64_t total = 0;
  for (int i = 0; i < 6000; ++i) {
    // Sizes that do not divide the pool, so requests straddle its refills;
    // now and then one larger than the whole pool.
    const size_t bytes = i % 500 == 0 ? 700 : 8 + static_cast<size_t>(i % 29);
    const std::string hex = RandomHex(bytes);
    ASSERT_EQ(hex.size(), 2 * bytes);
    EXPECT_TRUE(seen.insert(hex.substr(0, 16)).second) << "eight random bytes repeated at request " << i;
    for (char c : hex) {
      const bool digit = c >= '0' && c <= '9', letter = c >= 'a' && c <= 'f';
      ASSERT_TRUE(digit || letter) << hex;
      ++digits[digit ? c - '0' : 10 + c - 'a'];
      ++total;
    }
  }
  // ≈ 280,000 digits: each of the 16 within 5 % of its share, which is
  // seven standard deviations (≈ 0.73 % of it): no flake, and a pool that
  // handed out zeroed or repeated bytes would be far outside.
  for (int d = 0; d < 16; ++d) {
    EXPECT_NEAR(static_cast<double>(digits[d]) / static_cast<double>(total), 1.0 / 16, 0.05 / 16) << "digit " << d;
  }
}

}  // namespace
}  // namespace lahza::app
