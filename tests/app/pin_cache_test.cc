// The verified-PIN cache on its own: matches only the same customer, PIN and
// stored hash, until it expires; bounded in size.
#include "app/pin_cache.h"

#include <gtest/gtest.h>

namespace lahza::app {
namespace {

TEST(PinCache, MatchesOnlyTheSameCustomerPinAndHashUntilItExpires) {
  ASSERT_GE(sodium_init(), 0);
  PinCache cache(60, 10);
  EXPECT_FALSE(cache.Matches("c1", "hash-a", "246810", 1000));
  cache.Remember("c1", "hash-a", "246810", 1000);
  EXPECT_TRUE(cache.Matches("c1", "hash-a", "246810", 1000));
  EXPECT_TRUE(cache.Matches("c1", "hash-a", "246810", 1059));
  EXPECT_FALSE(cache.Matches("c1", "hash-a", "246811", 1001)) << "another PIN";
  EXPECT_FALSE(cache.Matches("c2", "hash-a", "246810", 1001)) << "another customer";
  EXPECT_FALSE(cache.Matches("c1", "hash-b", "246810", 1001)) << "the PIN was changed";
  // A stale hash drops the entry: the old hash does not match either now.
  EXPECT_FALSE(cache.Matches("c1", "hash-a", "246810", 1001));
  cache.Remember("c1", "hash-a", "246810", 2000);
  EXPECT_FALSE(cache.Matches("c1", "hash-a", "246810", 2060)) << "expired";
  cache.Remember("c1", "hash-a", "246810", 3000);
  cache.Forget("c1");
  EXPECT_FALSE(cache.Matches("c1", "hash-a", "246810", 3001));
}

TEST(PinCache, StaysBoundedAndTwoCachesDoNotShareAKey) {
  ASSERT_GE(sodium_init(), 0);
  PinCache cache(60, 4);
  for (int i = 0; i < 50; ++i) cache.Remember("c" + std::to_string(i), "h", "111111", 0);
  int remembered = 0;
  for (int i = 0; i < 50; ++i) remembered += cache.Matches("c" + std::to_string(i), "h", "111111", 1) ? 1 : 0;
  EXPECT_LE(remembered, 4);
  EXPECT_TRUE(cache.Matches("c49", "h", "111111", 1)) << "the latest is kept";
  PinCache other(60, 4);
  EXPECT_FALSE(other.Matches("c49", "h", "111111", 1));
}

}  // namespace
}  // namespace lahza::app
