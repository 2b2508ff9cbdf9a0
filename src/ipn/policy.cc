#include "ipn/policy.h"

#include <nlohmann/json.hpp>

#include "core/money.h"
#include "ipn/internal.h"

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
    if (l.monthly > kMaxLimit) return Error("ipn.policy_invalid", where + ": limits above the cap");
    // A transfer the day's limit can never hold is a configuration mistake,
    // not a policy: refuse it rather than let the tighter limit silently win.
    if (l.per_transaction > l.daily || l.daily > l.monthly) {
      return Error("ipn.policy_invalid", where + ": need per_transaction <= daily <= monthly");
    }
    return {};
  };
  auto check_fee = [](const FeeRule& f, const std::string& where) -> Status {
    if (f.basis_points < 0 || f.basis_points > kMaxBasisPoints || f.min < 0 || f.max < 0 || f.min > f.max ||
        f.max > kMaxLimit) {
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

namespace internal {

namespace {

using nlohmann::json;

json LimitsToJson(const Limits& l) {
  return {{"per_transaction", l.per_transaction}, {"daily", l.daily}, {"monthly", l.monthly}};
}
json FeeToJson(const FeeRule& f) { return {{"basis_points", f.basis_points}, {"min", f.min}, {"max", f.max}}; }

// Reads an integer member; a missing or non-integer member is a corrupt row.
bool ReadInt(const json& object, const char* name, int64_t* out) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_number_integer()) return false;
  *out = it->get<int64_t>();
  return true;
}
bool ReadLimits(const json& j, Limits* l) {
  return j.is_object() && ReadInt(j, "per_transaction", &l->per_transaction) && ReadInt(j, "daily", &l->daily) &&
         ReadInt(j, "monthly", &l->monthly);
}
bool ReadFee(const json& j, FeeRule* f) {
  return j.is_object() && ReadInt(j, "basis_points", &f->basis_points) && ReadInt(j, "min", &f->min) &&
         ReadInt(j, "max", &f->max);
}

}  // namespace

std::string EncodePolicy(const Policy& policy) {
  json channels = json::object(), fees = json::object();
  for (const auto& [channel, limits] : policy.channel_limits) channels[channel] = LimitsToJson(limits);
  for (const auto& [channel, rule] : policy.channel_fees) fees[channel] = FeeToJson(rule);
  return json{{"user_limits", LimitsToJson(policy.user_limits)},
              {"channel_limits", channels},
              {"fee", FeeToJson(policy.fee)},
              {"channel_fees", fees}}
      .dump();
}

Result<Policy> DecodePolicy(std::string_view text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  Policy policy;
  bool ok = doc.is_object() && ReadLimits(doc.value("user_limits", json()), &policy.user_limits) &&
            ReadFee(doc.value("fee", json()), &policy.fee) && doc.value("channel_limits", json()).is_object() &&
            doc.value("channel_fees", json()).is_object();
  if (ok) {
    for (const auto& [channel, j] : doc["channel_limits"].items()) ok = ok && ReadLimits(j, &policy.channel_limits[channel]);
    for (const auto& [channel, j] : doc["channel_fees"].items()) ok = ok && ReadFee(j, &policy.channel_fees[channel]);
  }
  if (!ok) return Error("ipn.policy_invalid", "stored policy is not readable");
  LAHZA_TRY(policy.Validate());
  return policy;
}

}  // namespace internal

}  // namespace lahza::ipn
