// Limits and fees: configurable policy, enforced by the switch atomically with
// the transfer (usage counters change in the same store transaction that
// records the transfer, so concurrent sends cannot together pass a limit).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/result.h"

namespace lahza::ipn {

// Piastres. Scheme defaults: EGP 70,000 a transfer, 120,000 a day, 400,000 a month.
struct Limits {
  int64_t per_transaction = 7'000'000;
  int64_t daily = 12'000'000;
  int64_t monthly = 40'000'000;
};

// fee = amount * basis_points / 10000, rounded half up, then clamped to
// [min, max] (piastres). A zero amount pays no fee.
struct FeeRule {
  int64_t basis_points = 10;  // 0.1 %
  int64_t min = 50;           // EGP 0.50
  int64_t max = 2'000;        // EGP 20.00
  Result<int64_t> FeeFor(int64_t amount) const;  // ipn.amount_invalid when amount <= 0
};

struct Policy {
  Limits user_limits;                        // per customer, across every channel
  std::map<std::string, Limits> channel_limits;  // per customer and channel ("app", "ussd", "web"); missing = user_limits
  FeeRule fee;
  std::map<std::string, FeeRule> channel_fees;   // missing = fee

  const Limits& LimitsFor(const std::string& channel) const;
  const FeeRule& FeeFor(const std::string& channel) const;
  // ipn.policy_invalid when a limit is not positive, above kMaxLimit or out of
  // order (per transaction <= daily <= monthly), or a fee bound is negative,
  // min > max or basis points above 10000.
  Status Validate() const;

  // Caps that keep usage sums and fee arithmetic far from int64 overflow:
  // EGP 10 billion, and a fee of at most the whole amount.
  static constexpr int64_t kMaxLimit = 1'000'000'000'000;
  static constexpr int64_t kMaxBasisPoints = 10'000;
};

}  // namespace lahza::ipn
