#include "core/ir_reference.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <unordered_set>
#include <vector>

#include "core/digits.h"
#include "core/expect_error.h"

namespace lahza {
namespace {

TEST(Verhoeff, KnownVector) {
  // The textbook example: 236 has check digit 3.
  EXPECT_EQ(VerhoeffCheckDigit("236"), 3);
  EXPECT_TRUE(PassesVerhoeff("2363"));
  EXPECT_FALSE(PassesVerhoeff("2364"));
  EXPECT_EQ(VerhoeffCheckDigit("12345"), 1);
  EXPECT_TRUE(PassesVerhoeff("123451"));
  EXPECT_FALSE(PassesVerhoeff(""));
}

TEST(IrReference, FromPartsRoundTrips) {
  const IrReference reference = IrReference::FromParts(7, 1234567890123456);
  EXPECT_EQ(reference.str().size(), 22u);
  EXPECT_EQ(reference.str().substr(0, 21), "IR0071234567890123456");
  EXPECT_EQ(reference.node(), 7);
  EXPECT_EQ(reference.counter(), 1234567890123456u);
  auto parsed = IrReference::Parse(reference.str());
  ASSERT_OK(parsed);
  EXPECT_EQ(*parsed, reference);
  EXPECT_EQ(IrReference::FromParts(999, 0).str().substr(0, 21), "IR9990000000000000000");
}

TEST(IrReference, ParseAcceptsWhatPeopleType) {
  const IrReference reference = IrReference::FromParts(12, 9876543210);
  const std::string digits = reference.str().substr(2);
  EXPECT_EQ(IrReference::Parse("ir" + digits)->str(), reference.str());
  EXPECT_EQ(IrReference::Parse(digits)->str(), reference.str());
  EXPECT_EQ(IrReference::Parse("IR " + digits.substr(0, 10) + " " + digits.substr(10))->str(), reference.str());
  EXPECT_EQ(IrReference::Parse("IR-" + digits.substr(0, 5) + "-" + digits.substr(5))->str(), reference.str());
  EXPECT_EQ(IrReference::Parse("IR" + ToArabicIndicDigits(digits))->str(), reference.str());
}

TEST(IrReference, Rejects) {
  const std::string good = IrReference::FromParts(1, 42).str();
  EXPECT_ERROR(IrReference::Parse(""), "ir.empty");
  EXPECT_ERROR(IrReference::Parse("  "), "ir.empty");
  EXPECT_ERROR(IrReference::Parse("IR"), "ir.invalid_length");
  EXPECT_ERROR(IrReference::Parse(good.substr(0, 21)), "ir.invalid_length");
  EXPECT_ERROR(IrReference::Parse(good + "0"), "ir.invalid_length");
  EXPECT_ERROR(IrReference::Parse("IX" + good.substr(2)), "ir.invalid_characters");
  EXPECT_ERROR(IrReference::Parse(good.substr(0, 10) + "O" + good.substr(11)), "ir.invalid_characters");
  EXPECT_ERROR(IrReference::Parse("IRIR" + good.substr(2)), "ir.invalid_characters");
}

TEST(IrReference, EverySingleDigitMistakeIsCaught) {
  const std::string good = IrReference::FromParts(314, 1592653589793238).str();
  for (size_t i = 2; i < good.size(); ++i) {
    for (char d = '0'; d <= '9'; ++d) {
      if (d == good[i]) continue;
      std::string typo = good;
      typo[i] = d;
      EXPECT_ERROR(IrReference::Parse(typo), "ir.invalid_check_digit") << typo;
    }
  }
}

TEST(IrReference, EveryNeighbourSwapIsCaught) {
  for (uint64_t counter : {1592653589793238ULL, 1234567890123456ULL, 9081726354453627ULL}) {
    const std::string good = IrReference::FromParts(271, counter).str();
    for (size_t i = 2; i + 1 < good.size(); ++i) {
      if (good[i] == good[i + 1]) continue;
      std::string swapped = good;
      std::swap(swapped[i], swapped[i + 1]);
      EXPECT_ERROR(IrReference::Parse(swapped), "ir.invalid_check_digit") << swapped;
    }
  }
}

TEST(IrReferenceGenerator, EncodesNodeAndTime) {
  const int64_t now = IrReference::kEpochUnixMs + 86'400'000;  // 2024-01-02
  IrReferenceGenerator generator(42, [now] { return now; });
  const IrReference first = generator.Next();
  EXPECT_EQ(first.node(), 42);
  EXPECT_EQ(first.counter(), 86'400'000'000u);
  EXPECT_EQ(first.issued_unix_ms(), now);
  ASSERT_OK(IrReference::Parse(first.str()));
  EXPECT_EQ(generator.Next().counter(), 86'400'000'001u);
}

TEST(IrReferenceGenerator, BurstsBorrowFromTheNextMillisecond) {
  IrReferenceGenerator generator(1, [] { return IrReference::kEpochUnixMs + 5; });
  uint64_t previous = 0;
  for (int i = 0; i < 2500; ++i) {
    const uint64_t counter = generator.Next().counter();
    EXPECT_GT(counter, previous);
    previous = counter;
  }
  EXPECT_EQ(previous, 5000u + 2499u);
}

TEST(IrReferenceGenerator, ClockGoingBackNeverRepeats) {
  std::atomic<int64_t> clock{IrReference::kEpochUnixMs + 1'000'000};
  IrReferenceGenerator generator(1, [&clock] { return clock.load(); });
  const IrReference before = generator.Next();
  clock -= 60'000;  // NTP steps the clock back a minute
  const IrReference after = generator.Next();
  EXPECT_GT(after.counter(), before.counter());
  EXPECT_NE(after, before);
}

TEST(IrReferenceGenerator, ResumesAfterTheLastIssuedReference) {
  const auto fixed = [] { return IrReference::kEpochUnixMs + 10; };
  IrReferenceGenerator before_restart(3, fixed);
  IrReference last = before_restart.Next();
  for (int i = 0; i < 5000; ++i) last = before_restart.Next();  // borrowed 5 ms ahead of the clock
  IrReferenceGenerator after_restart(3, fixed, last.counter());
  EXPECT_EQ(after_restart.Next().counter(), last.counter() + 1);
}

TEST(IrReferenceGenerator, UniqueAcrossThreads) {
  IrReferenceGenerator generator(7);
  constexpr int kThreads = 8;
  constexpr int kEach = 25'000;
  std::vector<std::vector<std::string>> issued(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      issued[t].reserve(kEach);
      for (int i = 0; i < kEach; ++i) issued[t].push_back(generator.Next().str());
    });
  }
  for (auto& thread : threads) thread.join();
  std::unordered_set<std::string> all;
  for (const auto& batch : issued) {
    // Each thread sees its own references strictly increasing.
    EXPECT_TRUE(std::is_sorted(batch.begin(), batch.end()));
    for (const auto& reference : batch) all.insert(reference);
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kEach));
  for (const auto& reference : issued[0]) ASSERT_TRUE(IrReference::Parse(reference).ok()) << reference;
}

TEST(IrReferenceGenerator, DifferentNodesNeverCollide) {
  const auto fixed = [] { return IrReference::kEpochUnixMs + 123; };
  IrReferenceGenerator a(1, fixed);
  IrReferenceGenerator b(2, fixed);
  EXPECT_EQ(a.Next().counter(), b.Next().counter());  // same instant...
  EXPECT_NE(a.Next(), b.Next());                      // ...different references
}

}  // namespace
}  // namespace lahza
