// IrReference: the unique reference every transaction carries, the number a
// customer reads to the care agent. Format: "IR" + 20 digits =
//   NNN             issuing node (000-999), so nodes never need to coordinate
//   CCCCCCCCCCCCCCCC a 16-digit counter: milliseconds since 2024-01-01 UTC
//                   times 1000 plus a per-millisecond sequence, strictly
//                   increasing per node
//   K               a Verhoeff check digit over the 19 digits before it, which
//                   catches every single-digit mistake and every swap of two
//                   neighbouring digits, so a mistyped reference is refused
//                   before any lookup.
#pragma once

#include <atomic>
#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace lahza {

class IrReference {
 public:
  static constexpr int kMaxNode = 999;
  static constexpr uint64_t kCounterLimit = 10'000'000'000'000'000ULL;  // 16 digits
  static constexpr int64_t kEpochUnixMs = 1'704'067'200'000;           // 2024-01-01T00:00:00Z

  // Accepts "IR" in any case or no prefix at all (people often read out only
  // the digits), spaces and dashes, and Arabic-Indic digits. Errors: ir.empty,
  // ir.invalid_characters, ir.invalid_length, ir.invalid_check_digit.
  static Result<IrReference> Parse(std::string_view text);
  // The reference for (node, counter); out-of-range parts abort (a bug).
  static IrReference FromParts(int node, uint64_t counter);

  const std::string& str() const { return value_; }  // "IR" + 20 digits
  int node() const;
  uint64_t counter() const;
  // When the issuing node made it, to the millisecond, if its clock was right
  // and it issued fewer than 1000 references in that millisecond.
  int64_t issued_unix_ms() const;

  friend bool operator==(const IrReference& a, const IrReference& b) { return a.value_ == b.value_; }
  friend auto operator<=>(const IrReference& a, const IrReference& b) { return a.value_ <=> b.value_; }

 private:
  IrReference() = default;
  std::string value_;
};

// The Verhoeff check digit for an ASCII digit string.
int VerhoeffCheckDigit(std::string_view digits);
// True when the last digit of `digits` is the Verhoeff check of the rest.
bool PassesVerhoeff(std::string_view digits);

// Issues IrReferences for one node. Thread-safe and lock-free: the counter
// is max(previous + 1, now_ms * 1000) advanced by compare-and-swap, so two
// threads never get the same value, a clock that steps back never repeats
// one, and bursts above 1000/ms borrow from the next millisecond. Across a
// restart uniqueness holds as long as the clock is not set back further than
// the borrowing; a caller that knows the node's last issued reference (from
// storage) passes it as `resume_after` to make restarts safe regardless.
// Storage keeps a unique index on the reference as the last line of defence.
class IrReferenceGenerator {
 public:
  using ClockMs = std::function<int64_t()>;  // Unix time in milliseconds
  static int64_t SystemClockMs();

  // `node` in 0..999, unique per running process (aborts otherwise).
  explicit IrReferenceGenerator(int node, ClockMs clock = SystemClockMs, uint64_t resume_after = 0);
  IrReferenceGenerator(const IrReferenceGenerator&) = delete;
  IrReferenceGenerator& operator=(const IrReferenceGenerator&) = delete;

  IrReference Next();
  int node() const { return node_; }

 private:
  const int node_;
  const ClockMs clock_;
  std::atomic<uint64_t> last_{0};
};

}  // namespace lahza
