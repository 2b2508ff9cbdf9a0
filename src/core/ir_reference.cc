#include "core/ir_reference.h"

#include <algorithm>
#include <cstdlib>
#include <chrono>

#include "core/ascii.h"
#include "core/digits.h"

namespace lahza {

namespace {

constexpr size_t kDigits = 20;  // node 3 + counter 16 + check 1
constexpr uint64_t kSequencePerMs = 1000;

// Verhoeff's dihedral-group tables.
constexpr int kMultiply[10][10] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
    {3, 4, 0, 1, 2, 8, 9, 5, 6, 7}, {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
    {6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3}, {8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
    {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}};
constexpr int kPermute[8][10] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4}, {5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
    {8, 9, 1, 6, 0, 4, 3, 5, 2, 7}, {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
    {2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}};
constexpr int kInverse[10] = {0, 4, 3, 2, 1, 5, 6, 7, 8, 9};

// Verhoeff's running check over `digits`, the rightmost digit at position
// `first_position`.
int VerhoeffState(std::string_view digits, int first_position) {
  int c = 0;
  int position = first_position;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it, ++position) {
    c = kMultiply[c][kPermute[position % 8][*it - '0']];
  }
  return c;
}

uint64_t ParseDigits(std::string_view digits) {
  uint64_t value = 0;
  for (char c : digits) value = value * 10 + static_cast<uint64_t>(c - '0');
  return value;
}

}  // namespace

int VerhoeffCheckDigit(std::string_view digits) { return kInverse[VerhoeffState(digits, 1)]; }

bool PassesVerhoeff(std::string_view digits) { return !digits.empty() && VerhoeffState(digits, 0) == 0; }

IrReference IrReference::FromParts(int node, uint64_t counter) {
  // Out-of-range parts would print a reference of the wrong length that
  // could collide with another node's: never let that reach a transaction.
  if (node < 0 || node > kMaxNode || counter >= kCounterLimit) std::abort();
  std::string digits = std::to_string(node);
  digits.insert(0, 3 - digits.size(), '0');
  std::string counter_digits = std::to_string(counter);
  digits.append(16 - counter_digits.size(), '0');
  digits += counter_digits;
  digits.push_back(static_cast<char>('0' + VerhoeffCheckDigit(digits)));
  IrReference reference;
  reference.value_ = "IR" + digits;
  return reference;
}

namespace {

// The 20 digits of an IR reference as a person may type it: Arabic-Indic
// digits, spaces and dashes, "ir" in any case or no prefix at all.
Result<std::string> TypedDigits(std::string_view text) {
  const std::string normalized = NormalizeDigits(text);
  std::string_view trimmed = TrimSpaces(normalized);
  if (trimmed.empty()) return Error{"ir.empty", "no IR reference given"};
  if (trimmed.size() >= 2 && (trimmed[0] == 'I' || trimmed[0] == 'i') && (trimmed[1] == 'R' || trimmed[1] == 'r')) {
    trimmed.remove_prefix(2);
  }
  std::optional<std::string> digits = GroupedDigits(trimmed, kDigits);
  if (!digits) return Error{"ir.invalid_characters", "an IR reference is IR followed by digits"};
  if (digits->size() != kDigits) {
    return Error{"ir.invalid_length", "an IR reference has 20 digits after IR"};
  }
  return std::move(*digits);
}

// The form we print, "IR" and 20 ASCII digits: most of what comes back, read
// without TypedDigits' normalising copy.
bool IsPrintedForm(std::string_view text) {
  return text.size() == 2 + kDigits && text[0] == 'I' && text[1] == 'R' &&
         AllAsciiDigits(text.substr(2));
}

}  // namespace

Result<IrReference> IrReference::Parse(std::string_view text) {
  std::string digits;
  if (IsPrintedForm(text)) {
    digits.assign(text.substr(2));
  } else {
    auto typed = TypedDigits(text);
    if (!typed) return typed.error();
    digits = std::move(*typed);
  }
  if (!PassesVerhoeff(digits)) return Error{"ir.invalid_check_digit", "check digit mismatch: a digit is mistyped"};
  IrReference reference;
  reference.value_ = "IR" + digits;
  return reference;
}

int IrReference::node() const { return static_cast<int>(ParseDigits(std::string_view(value_).substr(2, 3))); }

uint64_t IrReference::counter() const { return ParseDigits(std::string_view(value_).substr(5, 16)); }

int64_t IrReference::issued_unix_ms() const {
  return kEpochUnixMs + static_cast<int64_t>(counter() / kSequencePerMs);
}

int64_t IrReferenceGenerator::SystemClockMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

IrReferenceGenerator::IrReferenceGenerator(int node, ClockMs clock, uint64_t resume_after)
    : node_(node), clock_(std::move(clock)), last_(resume_after) {
  // A misconfigured node id is a deployment bug; fail at start-up, not later.
  if (node < 0 || node > IrReference::kMaxNode || !clock_ || resume_after >= IrReference::kCounterLimit) std::abort();
}

IrReference IrReferenceGenerator::Next() {
  const int64_t since_epoch = std::max<int64_t>(0, clock_() - IrReference::kEpochUnixMs);
  const uint64_t floor = static_cast<uint64_t>(since_epoch) * kSequencePerMs;
  uint64_t previous = last_.load(std::memory_order_relaxed);
  uint64_t next = 0;
  do {
    next = std::max(previous + 1, floor);
  } while (!last_.compare_exchange_weak(previous, next, std::memory_order_relaxed));
  // 10^16 counter values last until the year 2340 at full clock speed;
  // FromParts aborts rather than wrap.
  return IrReference::FromParts(node_, next);
}

}  // namespace lahza
