#include "ipn/policy.h"

#include "core/money.h"

namespace lahza::ipn {

Result<int64_t> FeeRule::FeeFor(int64_t amount) const {
  if (amount <= 0) return Error("ipn.amount_invalid", "amount must be positive");
  auto raw = Money::FromPiastres(amount).Percentage(basis_points, Rounding::kHalfUp);
  if (!raw.ok()) return raw.error();
  int64_t fee = raw->piastres();
  if (fee < min) fee = min;
  if (fee > max) fee = max;
  return fee;
}

const Limits& Policy::LimitsFor(const std::string& channel) const {
  auto it = channel_limits.find(channel);
  return it == channel_limits.end() ? user_limits : it->second;
}

const FeeRule& Policy::FeeFor(const std::string& channel) const {
  auto it = channel_fees.find(channel);
  return it == channel_fees.end() ? fee : it->second;
}

Status Policy::Validate() const {
  auto check_limits = [](const Limits& l, const std::string& where) -> Status {
    if (l.per_transaction <= 0 || l.daily <= 0 || l.monthly <= 0) {
      return Error("ipn.policy_invalid", where + ": limits must be positive");
    }
    return {};
  };
  auto check_fee = [](const FeeRule& f, const std::string& where) -> Status {
    if (f.basis_points < 0 || f.min < 0 || f.max < 0 || f.min > f.max) {
      return Error("ipn.policy_invalid", where + ": fee bounds must be non-negative with min <= max");
    }
    return {};
  };
  LAHZA_TRY(check_limits(user_limits, "user"));
  for (const auto& [channel, limits] : channel_limits) LAHZA_TRY(check_limits(limits, "channel " + channel));
  LAHZA_TRY(check_fee(fee, "fee"));
  for (const auto& [channel, rule] : channel_fees) LAHZA_TRY(check_fee(rule, "fee " + channel));
  return {};
}

}  // namespace lahza::ipn
